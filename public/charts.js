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
    // `data-settled` says the chart drawn is this option's, animations done.
    var drawn = el.dataset.echarts;
    chart.off("finished");
    chart.on("finished", function () { el.dataset.settled = drawn; });
    if (el.dataset.drillHref && !el.dataset.drillBound) {
      el.dataset.drillBound = "1";
      chart.on("click", function (p) { drill(el, p); });
    }
    el.dataset.rendered = el.dataset.echarts;
  }
  // A report chart's point was clicked: go to the report with `drill` (and
  // `series`) set, through a link so the app's router navigates in place.
  function drill(el, p) {
    var keys, series;
    try {
      keys = JSON.parse(el.dataset.drillKeys || "[]");
      series = JSON.parse(el.dataset.drillSeries || "[]");
    } catch (e) { return; }
    var key = keys[p.dataIndex];
    if (key === undefined) return;
    var href = el.dataset.drillHref + "&drill=" + encodeURIComponent(key);
    var s = series[p.seriesIndex];
    if (s) href += "&series=" + encodeURIComponent(s);
    var a = document.createElement("a");
    a.href = href;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
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
