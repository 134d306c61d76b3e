/* Switchboard product tour runtime. Fetched by widget.js only when a tour is due
 * on the page (or by the tour builder's preview). Walks the tour's steps: finds
 * each step's element by its recorded selectors (the first that finds exactly
 * one visible element), spotlights it and shows the step beside it, inside a
 * shadow root. A step whose element is missing is waited for briefly (3 s),
 * then skipped or the tour ends, as the step says; that is reported. Reports
 * go through the callback: report(stepId, 'shown' | 'missing' | 'dismissed'),
 * report('', 'completed'). */
(function () {
  if (window.__switchboardTour) return;
  var WAIT_MS = 3000, POLL_MS = 200;
  var host = null, root = null, timers = [], cleanup = [];
  var css =
    ':host{all:initial}' +
    '.ring{position:absolute;z-index:2147483645;border-radius:8px;box-shadow:0 0 0 4px var(--c),0 0 0 9999px rgba(16,24,40,.45);pointer-events:none;transition:all .15s}' +
    '.pop{position:absolute;z-index:2147483646;width:300px;max-width:calc(100vw - 24px);box-sizing:border-box;background:#fff;color:#1d2130;border-radius:12px;' +
    'box-shadow:0 10px 30px rgba(16,24,40,.25);padding:14px 16px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}' +
    '.pop strong{display:block;font-size:15px;margin:0 24px 4px 0}.pop p{margin:0 0 10px;white-space:pre-wrap}' +
    '.row{display:flex;align-items:center;gap:8px}.count{color:#646b80;font-size:12px;flex:1}' +
    '.btn{border:0;border-radius:8px;padding:6px 12px;font-family:inherit;font-size:13px;font-weight:600;cursor:pointer;background:#eef0f6;color:#1d2130}' +
    '.btn.main{background:var(--c);color:#fff}.x{position:absolute;top:8px;right:8px;border:0;background:none;font-size:18px;cursor:pointer;color:#646b80;padding:2px 6px}' +
    '.hint{color:#646b80;font-size:12px;margin:0 0 8px}';

  function shadow(color) {
    host = document.createElement('div');
    host.setAttribute('data-switchboard-tour', '');
    root = host.attachShadow ? host.attachShadow({ mode: 'open' }) : host;
    var style = document.createElement('style');
    style.textContent = css + ':host{--c:' + color + '}.ring,.pop{--c:' + color + '}';
    root.appendChild(style);
    document.body.appendChild(host);
  }

  function visible(el) {
    var r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  }

  function norm(s) { return String(s || '').replace(/\s+/g, ' ').trim(); }

  /* The element a selector names, when it names exactly one visible element. */
  function one(sel) {
    var found = [];
    try {
      if (sel.indexOf('css:') === 0) {
        found = Array.prototype.slice.call(document.querySelectorAll(sel.slice(4)));
      } else if (sel.indexOf('text:') === 0) {
        var rest = sel.slice(5), i = rest.indexOf(':');
        var tag = rest.slice(0, i), text = norm(rest.slice(i + 1));
        found = Array.prototype.filter.call(document.querySelectorAll(tag), function (el) {
          return norm(el.getAttribute('aria-label')) === text || norm(el.textContent) === text;
        });
      }
    } catch (e) { return null; }
    found = found.filter(visible);
    return found.length === 1 ? found[0] : null;
  }

  function resolve(step) {
    var s = (step.target && step.target.selectors) || [];
    for (var i = 0; i < s.length; i++) { var el = one(s[i]); if (el) return el; }
    return null;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  function place(pop, ring, target, placement) {
    var r = target.getBoundingClientRect(), sx = window.scrollX, sy = window.scrollY, pad = 6;
    ring.style.left = (r.left + sx - pad) + 'px';
    ring.style.top = (r.top + sy - pad) + 'px';
    ring.style.width = (r.width + pad * 2) + 'px';
    ring.style.height = (r.height + pad * 2) + 'px';
    var w = pop.offsetWidth, h = pop.offsetHeight, gap = 16, left, top;
    if (placement === 'above') { top = r.top - h - gap; left = r.left; }
    else if (placement === 'left') { top = r.top; left = r.left - w - gap; }
    else if (placement === 'right') { top = r.top; left = r.right + gap; }
    else { top = r.bottom + gap; left = r.left; }
    left = Math.min(Math.max(8, left), window.innerWidth - w - 8);
    top = Math.max(8, top);
    pop.style.left = (left + sx) + 'px';
    pop.style.top = (top + sy) + 'px';
  }

  function stop() {
    timers.forEach(clearTimeout);
    timers = [];
    cleanup.forEach(function (f) { f(); });
    cleanup = [];
    if (host && host.parentNode) host.parentNode.removeChild(host);
    host = root = null;
  }

  function run(tour, report) {
    stop();
    shadow(tour.color || '#4f46e5');
    var steps = tour.steps || [], shownCount = 0;

    function clearStep() {
      cleanup.forEach(function (f) { f(); });
      cleanup = [];
      if (root) Array.prototype.slice.call(root.querySelectorAll('.ring,.pop')).forEach(function (n) { n.remove(); });
    }

    function finish(completed) {
      if (completed) report('', 'completed');
      stop();
    }

    function go(i, back) {
      clearStep();
      if (i < 0) i = 0;
      if (i >= steps.length) { finish(shownCount > 0); return; }
      var step = steps[i], waited = 0;
      (function look() {
        var target = resolve(step);
        if (!target) {
          if (waited < WAIT_MS) { waited += POLL_MS; timers.push(setTimeout(look, POLL_MS)); return; }
          report(step.id, 'missing');
          if (step.on_missing === 'end') { finish(false); return; }
          go(back ? i - 1 : i + 1, back);
          return;
        }
        show(i, step, target);
      })();
    }

    function show(i, step, target) {
      shownCount += 1;
      target.scrollIntoView({ block: 'center', inline: 'nearest' });
      var ring = el('div', 'ring'), pop = el('div', 'pop');
      pop.setAttribute('role', 'dialog');
      pop.setAttribute('aria-label', step.title);
      pop.setAttribute('data-switchboard-step', step.id);
      pop.appendChild(el('strong', '', step.title));
      if (step.body) pop.appendChild(el('p', '', step.body));
      if (step.advance === 'click') pop.appendChild(el('p', 'hint', 'Click the highlighted element to go on.'));
      var x = el('button', 'x', '\u00d7');
      x.setAttribute('aria-label', 'Close the tour');
      x.setAttribute('data-switchboard-tour-close', '');
      x.onclick = function () { report(step.id, 'dismissed'); finish(false); };
      pop.appendChild(x);
      var row = el('div', 'row');
      row.appendChild(el('span', 'count', (i + 1) + ' of ' + steps.length));
      if (i > 0) {
        var b = el('button', 'btn', 'Back');
        b.onclick = function () { go(i - 1, true); };
        row.appendChild(b);
      }
      if (step.advance !== 'click') {
        var last = i === steps.length - 1;
        var n = el('button', 'btn main', last ? 'Done' : 'Next');
        n.setAttribute('data-switchboard-tour-next', '');
        n.onclick = function () { go(i + 1, false); };
        row.appendChild(n);
      } else {
        var onClick = function () { timers.push(setTimeout(function () { go(i + 1, false); }, 0)); };
        target.addEventListener('click', onClick, true);
        cleanup.push(function () { target.removeEventListener('click', onClick, true); });
        // Let the element itself be clicked through the spotlight.
        ring.style.pointerEvents = 'none';
      }
      pop.appendChild(row);
      root.appendChild(ring);
      root.appendChild(pop);
      var again = function () { place(pop, ring, target, step.placement); };
      again();
      window.addEventListener('resize', again);
      window.addEventListener('scroll', again, true);
      cleanup.push(function () {
        window.removeEventListener('resize', again);
        window.removeEventListener('scroll', again, true);
      });
      report(step.id, 'shown');
    }

    timers.push(setTimeout(function () { go(0, false); }, Math.max(0, tour.delay_seconds || 0) * 1000));
  }
  run.clear = stop;
  run.resolve = resolve;
  window.__switchboardTour = run;
})();
