/* Switchboard tour builder overlay. The admin app's tour editor opens the
 * customer's page with #sb-tour=build&origin=<admin app> (record) or
 * #sb-tour=preview&origin=<admin app> (try the draft); widget.js then fetches
 * this script. Recording: point at an element, click it, write the step, and the
 * step (with its selectors: stable data attributes, then the id, then the
 * accessible name or text, then a structural path, each kept only when it finds
 * exactly that element) goes to the editor window, which saves it. Nothing here
 * talks to the server. */
(function () {
  if (window.__switchboardTourBuilder) return;
  var STABLE = ['data-tour', 'data-testid', 'data-test', 'data-cy', 'data-qa'];

  function param(name) {
    var m = new RegExp('[#&]' + name + '=([^&]*)').exec(location.hash);
    return m ? decodeURIComponent(m[1]) : '';
  }

  function norm(s) { return String(s || '').replace(/\s+/g, ' ').trim(); }

  function cssString(v) { return '"' + String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"'; }

  function escId(id) { return window.CSS && CSS.escape ? CSS.escape(id) : id.replace(/[^\w-]/g, '\\$&'); }

  /* A structural path from the nearest ancestor with a usable id (or body). */
  function path(el) {
    var parts = [];
    while (el && el.nodeType === 1 && el !== document.body && el !== document.documentElement) {
      if (el.id && usableId(el.id)) { parts.unshift('#' + escId(el.id)); return parts.join(' > '); }
      var tag = el.tagName.toLowerCase(), n = 1, sib = el;
      while ((sib = sib.previousElementSibling)) if (sib.tagName === el.tagName) n += 1;
      var same = el.parentElement ? Array.prototype.filter.call(el.parentElement.children, function (c) { return c.tagName === el.tagName; }).length : 1;
      parts.unshift(same > 1 ? tag + ':nth-of-type(' + n + ')' : tag);
      el = el.parentElement;
    }
    parts.unshift('body');
    return parts.join(' > ');
  }

  /* Ids that look generated (long digit runs, framework prefixes) change between builds. */
  function usableId(id) { return !/\d{3,}|^(ember|react|radix|headlessui|mui)|^:/.test(id); }

  function nameOf(el) { return norm(el.getAttribute('aria-label') || el.textContent).slice(0, 80); }

  /* Whether a selector finds exactly `el` (as the tour runtime reads it). */
  function finds(sel, el) {
    try {
      if (sel.indexOf('css:') === 0) {
        var all = document.querySelectorAll(sel.slice(4));
        return all.length === 1 && all[0] === el;
      }
      var rest = sel.slice(5), i = rest.indexOf(':'), tag = rest.slice(0, i), text = norm(rest.slice(i + 1));
      var hits = Array.prototype.filter.call(document.querySelectorAll(tag), function (x) {
        return norm(x.getAttribute('aria-label')) === text || norm(x.textContent) === text;
      });
      return hits.length === 1 && hits[0] === el;
    } catch (e) { return false; }
  }

  function selectorsFor(el) {
    var out = [];
    function add(s) { if (out.indexOf(s) < 0 && finds(s, el)) out.push(s); }
    STABLE.forEach(function (a) { var v = el.getAttribute(a); if (v) add('css:[' + a + '=' + cssString(v) + ']'); });
    if (el.id && usableId(el.id)) add('css:#' + escId(el.id));
    var name = nameOf(el);
    if (name && name.length <= 80) add('text:' + el.tagName.toLowerCase() + ':' + name);
    var p = 'css:' + path(el);
    if (out.indexOf(p) < 0) out.push(p);
    return out.slice(0, 6);
  }

  var css =
    ':host{all:initial}*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}' +
    '.bar{position:fixed;top:12px;left:50%;transform:translateX(-50%);z-index:2147483647;background:#1d2130;color:#fff;border-radius:12px;padding:10px 14px;' +
    'box-shadow:0 10px 30px rgba(0,0,0,.35);font-size:14px;display:flex;flex-direction:column;gap:8px;width:420px;max-width:calc(100vw - 24px)}' +
    '.row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}.grow{flex:1}' +
    'button{border:0;border-radius:8px;padding:6px 12px;font-size:13px;font-weight:600;cursor:pointer;background:#3a4058;color:#fff}' +
    'button.main{background:#4f46e5}input,textarea,select{width:100%;border-radius:6px;border:1px solid #3a4058;background:#262b3d;color:#fff;padding:6px 8px;font-size:13px}' +
    'label{font-size:12px;color:#b8bdd0}.sel{font:11px ui-monospace,monospace;color:#b8bdd0;word-break:break-all}' +
    '.hl{position:fixed;z-index:2147483646;pointer-events:none;border:2px solid #4f46e5;background:rgba(79,70,229,.12);border-radius:4px}';

  function start(base) {
    var mode = param('sb-tour'), origin = param('origin');
    var opener = window.opener;
    var host = document.createElement('div');
    host.setAttribute('data-switchboard-tour-builder', '');
    var root = host.attachShadow({ mode: 'open' });
    var style = document.createElement('style');
    style.textContent = css;
    root.appendChild(style);
    document.body.appendChild(host);
    function tell(msg) { if (opener && origin) opener.postMessage(JSON.stringify(msg), origin); }

    if (mode === 'preview') {
      window.addEventListener('message', function (e) {
        if (e.source !== opener || e.origin !== origin) return;
        var d; try { d = JSON.parse(e.data); } catch (x) { return; }
        if (!d || d.sbw !== 'tour-preview') return;
        var s = document.createElement('script');
        s.src = base + '/widget-tour.js';
        s.onload = function () { window.__switchboardTour({ id: 0, steps: d.steps, delay_seconds: 0, color: '#4f46e5' }, function () {}); };
        document.head.appendChild(s);
      });
      tell({ sbw: 'tour-preview-ready' });
      return;
    }

    var bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('data-testid', 'tour-builder');
    root.appendChild(bar);
    var hl = document.createElement('div');
    hl.className = 'hl';
    hl.style.display = 'none';
    root.appendChild(hl);
    var picking = false, added = 0;

    function idle(note) {
      bar.textContent = '';
      var row = document.createElement('div');
      row.className = 'row';
      var t = document.createElement('span');
      t.className = 'grow';
      t.textContent = note || (opener ? 'Tour builder: point at an element to add a step.' : 'Open this page from the tour editor to record steps.');
      row.appendChild(t);
      var pick = document.createElement('button');
      pick.className = 'main';
      pick.textContent = 'Pick an element';
      pick.setAttribute('data-testid', 'tour-pick');
      pick.disabled = !opener;
      pick.onclick = function () { picking = true; t.textContent = 'Click the element the step points at (Esc: cancel).'; };
      var done = document.createElement('button');
      done.textContent = 'Done';
      done.onclick = function () { window.close(); };
      row.appendChild(pick);
      row.appendChild(done);
      bar.appendChild(row);
    }

    function field(label, input) {
      var l = document.createElement('label');
      l.textContent = label;
      bar.appendChild(l);
      bar.appendChild(input);
      return input;
    }

    function form(el) {
      var selectors = selectorsFor(el);
      bar.textContent = '';
      var title = field('Headline', document.createElement('input'));
      title.value = nameOf(el).slice(0, 120);
      title.setAttribute('data-testid', 'tour-step-title');
      var body = field('Text', document.createElement('textarea'));
      body.rows = 2;
      body.setAttribute('data-testid', 'tour-step-body');
      var sel = document.createElement('div');
      sel.className = 'sel';
      sel.textContent = selectors.join('  |  ');
      bar.appendChild(sel);
      var row = document.createElement('div');
      row.className = 'row';
      var add = document.createElement('button');
      add.className = 'main';
      add.textContent = 'Add step';
      add.setAttribute('data-testid', 'tour-step-add');
      add.onclick = function () {
        added += 1;
        tell({ sbw: 'tour-step', step: {
          title: norm(title.value) || 'Step ' + added, body: body.value.trim(),
          target: { selectors: selectors, label: nameOf(el) },
          placement: 'below', advance: 'next', on_missing: 'skip'
        } });
        idle('Step ' + added + ' sent to the editor. Point at the next element, or Done.');
      };
      var cancel = document.createElement('button');
      cancel.textContent = 'Cancel';
      cancel.onclick = function () { idle(); };
      row.appendChild(add);
      row.appendChild(cancel);
      bar.appendChild(row);
      title.focus();
    }

    function ours(e) { return e.composedPath && e.composedPath().indexOf(host) >= 0; }
    document.addEventListener('mousemove', function (e) {
      if (!picking || ours(e)) { hl.style.display = 'none'; return; }
      var r = e.target.getBoundingClientRect();
      hl.style.display = 'block';
      hl.style.left = r.left + 'px'; hl.style.top = r.top + 'px';
      hl.style.width = r.width + 'px'; hl.style.height = r.height + 'px';
    }, true);
    document.addEventListener('click', function (e) {
      if (!picking || ours(e)) return;
      e.preventDefault();
      e.stopPropagation();
      picking = false;
      hl.style.display = 'none';
      form(e.target);
    }, true);
    document.addEventListener('keydown', function (e) { if (e.key === 'Escape' && picking) { picking = false; hl.style.display = 'none'; idle(); } });
    idle();
  }
  window.__switchboardTourBuilder = start;
})();
