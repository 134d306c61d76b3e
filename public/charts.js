// Renders every element with a `data-echarts` option (built on the server with
// charming) using ECharts from /vendor/echarts.min.js, including elements added
// later by client-side navigation, and keeps charts sized to their box.
(function () {
  "use strict";
  function render(el) {
    if (!window.echarts || el.dataset.rendered === el.dataset.echarts) return;
    var option;
    try { option = JSON.parse(el.dataset.echarts); } catch (e) { return; }
    var chart = window.echarts.getInstanceByDom(el) || window.echarts.init(el);
    chart.setOption(option, true);
    el.dataset.rendered = el.dataset.echarts;
  }
  function scan() { document.querySelectorAll("[data-echarts]").forEach(render); }
  function start() {
    scan();
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-echarts"] });
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-echarts]").forEach(function (el) {
        var c = window.echarts && window.echarts.getInstanceByDom(el);
        if (c) c.resize();
      });
    });
  }
  if (window.echarts) start();
  else window.addEventListener("load", start);
})();
