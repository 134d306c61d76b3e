/* Switchboard targeted messages runtime: banners, modals, slide-ins and tooltips on
 * the customer's own page. Fetched by widget.js only when a message is due on the
 * page; drawn inside a shadow root, so the page's CSS and ours never meet. Every
 * text is set as text (never HTML). Reports shown / clicked / dismissed through
 * the callback widget.js gives it. */
(function () {
  if (window.__switchboardMessages) return;
  var host = null, root = null, timers = [], live = [];
  var css =
    ':host{all:initial}' +
    '.m{position:fixed;z-index:2147483646;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2130;background:#fff;' +
    'box-shadow:0 10px 30px rgba(16,24,40,.22);border-radius:12px;padding:14px 38px 14px 16px;display:flex;flex-direction:column;gap:6px;box-sizing:border-box;max-width:calc(100vw - 24px)}' +
    '.m p{margin:0;white-space:pre-wrap}.m strong{font-size:15px}' +
    '.x{position:absolute;top:6px;right:8px;border:0;background:none;font-size:20px;line-height:1;cursor:pointer;color:inherit;opacity:.7;padding:4px}' +
    '.x:hover{opacity:1}.b{align-self:flex-start;border:0;border-radius:8px;padding:7px 14px;font-weight:600;font-size:14px;font-family:inherit;cursor:pointer;color:#fff}' +
    '.banner{left:0;right:0;border-radius:0;flex-direction:row;flex-wrap:wrap;align-items:center;gap:12px;justify-content:center;color:#fff;box-shadow:none;max-width:none}' +
    '.banner.top{top:0}.banner.bottom{bottom:0}.banner .b{background:#fff!important}' +
    '.veil{position:fixed;inset:0;background:rgba(16,24,40,.45);z-index:2147483645}' +
    '.modal{left:50%;top:50%;transform:translate(-50%,-50%);width:420px;padding:24px 40px 22px 24px}.modal strong{font-size:18px}' +
    '.slide_in{bottom:104px;width:320px}.slide_in.right{right:20px}.slide_in.left{left:20px}' +
    '.tooltip{position:absolute;width:280px}.tooltip:before{content:"";position:absolute;left:18px;border:8px solid transparent}' +
    '.tooltip.below:before{top:-16px;border-bottom-color:#fff}.tooltip.above:before{bottom:-16px;border-top-color:#fff}';

  function ensureRoot() {
    if (root) return;
    host = document.createElement('div');
    host.setAttribute('data-switchboard-messages', '');
    root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    var style = document.createElement('style');
    style.textContent = css;
    root.appendChild(style);
    document.body.appendChild(host);
  }

  function safeUrl(u) {
    return /^https?:\/\//i.test(u) || (u.charAt(0) === '/' && u.charAt(1) !== '/') ? u : '';
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function findAnchor(sel) {
    try { return document.querySelector(sel); } catch (e) { return null; }
  }

  function draw(m, report) {
    ensureRoot();
    var box = el('div', 'm ' + m.style + ' ' + m.placement);
    box.setAttribute('data-switchboard-message', String(m.id));
    box.setAttribute('data-style', m.style);
    box.setAttribute('role', m.style === 'modal' ? 'dialog' : 'status');
    if (m.style === 'modal') box.setAttribute('aria-modal', 'true');
    if (m.style === 'banner') box.style.background = m.color;
    box.appendChild(el('strong', '', m.title));
    if (m.body) box.appendChild(el('p', '', m.body));
    var veil = null, anchor = null, place = null;
    function remove() {
      if (box.parentNode) box.parentNode.removeChild(box);
      if (veil && veil.parentNode) veil.parentNode.removeChild(veil);
      if (place) { window.removeEventListener('resize', place); window.removeEventListener('scroll', place, true); }
      document.removeEventListener('keydown', onKey);
      live = live.filter(function (x) { return x !== remove; });
    }
    function onKey(e) { if (e.key === 'Escape' && m.style === 'modal') { remove(); report(m, 'dismissed'); } }
    var x = el('button', 'x', '\u00d7');
    x.setAttribute('aria-label', 'Close');
    x.setAttribute('data-switchboard-close', '');
    x.onclick = function () { remove(); report(m, 'dismissed'); };
    box.appendChild(x);
    var button = null;
    if (m.button_label) {
      button = el('button', 'b', m.button_label);
      button.setAttribute('data-switchboard-button', '');
      if (m.style === 'banner') button.style.color = m.color; else button.style.background = m.color;
      button.onclick = function () {
        report(m, 'clicked');
        remove();
        var to = safeUrl(m.button_url || '');
        if (to) setTimeout(function () { location.href = to; }, 150);
      };
      box.appendChild(button);
    }
    if (m.style === 'modal') {
      veil = el('div', 'veil');
      veil.onclick = function () { remove(); report(m, 'dismissed'); };
      root.appendChild(veil);
      document.addEventListener('keydown', onKey);
    }
    if (m.style === 'tooltip') {
      anchor = findAnchor(m.anchor);
      place = function () {
        var r = anchor.getBoundingClientRect();
        var top = m.placement === 'above'
          ? r.top + window.scrollY - box.offsetHeight - 12
          : r.bottom + window.scrollY + 12;
        box.style.top = Math.max(0, top) + 'px';
        box.style.left = Math.max(8, r.left + window.scrollX) + 'px';
      };
      window.addEventListener('resize', place);
      window.addEventListener('scroll', place, true);
    }
    root.appendChild(box);
    if (place) place();
    if (m.style === 'modal') (button || x).focus();
    live.push(remove);
    report(m, 'shown');
  }

  function due(m, report) {
    if (m.style !== 'tooltip') { draw(m, report); return; }
    // A tooltip needs its element: wait a little for it (pages draw late),
    // then leave it out.
    var tries = 0;
    (function look() {
      if (findAnchor(m.anchor)) { draw(m, report); return; }
      if (++tries < 20) timers.push(setTimeout(look, 250));
    })();
  }

  function run(items, report) {
    items.forEach(function (m) {
      timers.push(setTimeout(function () { due(m, report); }, Math.max(0, m.delay_seconds || 0) * 1000));
    });
  }
  // A new page (single-page apps): what was waiting or shown for the last one goes.
  run.clear = function () {
    timers.forEach(clearTimeout);
    timers = [];
    live.slice().forEach(function (remove) { remove(); });
  };
  window.__switchboardMessages = run;
})();
