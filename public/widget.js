/* Switchboard chat widget loader. Embed with:
 *   <script src="https://YOUR-SWITCHBOARD/widget.js" data-key="pk_…" async></script>
 * It adds one iframe (the widget runs inside it, so this page's CSS cannot touch it)
 * and resizes it when the visitor opens or closes the chat. It reports each page
 * the visitor sees (single-page apps too) and the site's own events:
 *   window.Switchboard = window.Switchboard || function () {
 *     (Switchboard.q = Switchboard.q || []).push(arguments); };
 *   Switchboard('track', 'signed_up', { plan: 'pro' });
 * Targeted messages for the page come back; their runtime (widget-messages.js) is
 * fetched only when there is one to show. Reports go through the widget's frame,
 * which holds the visitor's session. */
(function () {
  if (window.__switchboardWidget) return;
  var script = document.currentScript ||
    document.querySelector('script[src*="/widget.js"][data-key]');
  if (!script) return;
  var key = script.getAttribute('data-key');
  if (!key) { console.warn('Switchboard widget: the script tag needs data-key="pk_…"'); return; }
  window.__switchboardWidget = true;
  var base = new URL(script.src, location.href).origin;
  // The widget's state (visitor token, offline queue) lives in this page's own
  // storage: browsers may refuse storage to a third-party iframe.
  var store = {
    get: function (n) { try { return localStorage.getItem('sbw:' + key + ':' + n) || ''; } catch (e) { return ''; } },
    set: function (n, v) { try { localStorage.setItem('sbw:' + key + ':' + n, v); } catch (e) {} }
  };
  var frame = document.createElement('iframe');
  frame.src = base + '/widget/frame?key=' + encodeURIComponent(key) +
    '#t=' + encodeURIComponent(store.get('token')) + '&q=' + encodeURIComponent(store.get('queue'));
  frame.title = 'Chat with us';
  frame.setAttribute('data-switchboard-widget', '');
  frame.setAttribute('allowtransparency', 'true');
  var closed = { width: '88px', height: '88px' };
  function size(open) {
    var w = open ? Math.min(420, window.innerWidth) + 'px' : closed.width;
    var h = open ? Math.min(680, window.innerHeight) + 'px' : closed.height;
    frame.style.setProperty('width', w, 'important');
    frame.style.setProperty('height', h, 'important');
  }
  var fixed = {
    position: 'fixed', right: '0', bottom: '0', left: 'auto', top: 'auto', border: '0',
    margin: '0', padding: '0', 'z-index': '2147483647', background: 'transparent',
    'color-scheme': 'light', 'box-shadow': 'none', 'max-width': '100vw', 'max-height': '100vh',
    outline: 'none', display: 'block', opacity: '1', visibility: 'visible', transform: 'none'
  };
  for (var k in fixed) frame.style.setProperty(k, fixed[k], 'important');
  size(false);
  window.addEventListener('message', function (e) {
    if (e.source !== frame.contentWindow || e.origin !== base) return;
    var d = e.data || {};
    if (d.sbw === 'store' && (d.name === 'token' || d.name === 'queue')) {
      store.set(d.name, String(d.value || ''));
    } else if (d.sbw === 'state') {
      size(!!d.open);
      frame.setAttribute('data-unread', String(d.unread || 0));
    }
  });
  // Reports to the frame once it has a session; queued until then.
  var ready = false, queue = [], seq = 0, waiting = {};
  function relay(path, body, done) {
    if (!ready) { queue.push([path, body, done]); return; }
    var id = ++seq;
    if (done) waiting[id] = done;
    frame.contentWindow.postMessage({ sbw: 'relay', id: id, path: path, body: body }, base);
  }
  function show(items) {
    if (!items || !items.length) return;
    load('widget-messages.js', '__switchboardMessages').then(function (run) {
      run(items, function (m, what) {
        var b = { message_id: m.id, event: what };
        if (m.send) b.send = m.send; // a campaign's in-app message: its send
        relay('targeted', b);
      });
    }, function () {});
  }
  // Scripts fetched only when needed (targeted messages, tours, the builder).
  var loaded = {};
  function load(name, global) {
    if (!loaded[name]) {
      loaded[name] = new Promise(function (ok, fail) {
        var s = document.createElement('script');
        s.src = base + '/' + name;
        s.async = true;
        s.onload = function () { ok(window[global]); };
        s.onerror = function () { delete loaded[name]; fail(); };
        document.head.appendChild(s);
      });
    }
    return loaded[name];
  }
  function tour(t) {
    if (!t || building) return;
    load('widget-tour.js', '__switchboardTour').then(function (run) {
      run(t, function (step, what) { relay('tour', { tour_id: t.id, step: step, event: what }); });
    }, function () {});
  }
  // The tour builder: the admin app opens this page with #sb-tour=build (or
  // =preview) to record steps by pointing, or to try the draft.
  var building = /[#&]sb-tour=(build|preview)/.test(location.hash);
  if (building) load('widget-tour-builder.js', '__switchboardTourBuilder').then(function (start) { start(base); }, function () {});
  var lastPage = '';
  function page() {
    if (location.href === lastPage) return;
    lastPage = location.href;
    if (window.__switchboardMessages && window.__switchboardMessages.clear) window.__switchboardMessages.clear();
    if (window.__switchboardTour && !building) window.__switchboardTour.clear();
    relay('visit', { url: location.href, title: document.title }, function (r) {
      show(r && r.messages);
      tour(r && r.tour);
    });
  }
  function track(name, props) {
    relay('track', { name: String(name || ''), properties: props || null, url: location.href });
  }
  var api = function (cmd, a, b) {
    if (cmd === 'track') track(a, b);
    else if (cmd === 'page') page();
  };
  var early = window.Switchboard && window.Switchboard.q;
  window.Switchboard = api;
  if (early) for (var i = 0; i < early.length; i++) api.apply(null, early[i]);
  // Single-page apps: a new address is a new page.
  ['pushState', 'replaceState'].forEach(function (m) {
    var orig = history[m];
    history[m] = function () { var r = orig.apply(this, arguments); setTimeout(page, 0); return r; };
  });
  window.addEventListener('popstate', page);
  window.addEventListener('message', function (e) {
    if (e.source !== frame.contentWindow || e.origin !== base) return;
    var d = e.data || {};
    if (d.sbw === 'ready' && !ready) {
      ready = true;
      var q = queue; queue = [];
      for (var i = 0; i < q.length; i++) relay(q[i][0], q[i][1], q[i][2]);
    } else if (d.sbw === 'relayed') {
      var done = waiting[d.id];
      delete waiting[d.id];
      if (done && d.ok) done(d.body);
      else if (!d.ok && window.console) console.warn('Switchboard: ' + (d.body && d.body.error && d.body.error.message || 'request failed'));
    }
  });
  page();
  function mount() { document.body.appendChild(frame); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
