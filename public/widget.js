/* Switchboard chat widget loader. Embed with:
 *   <script src="https://YOUR-SWITCHBOARD/widget.js" data-key="pk_…" async></script>
 * It adds one iframe (the widget runs inside it, so this page's CSS cannot touch it)
 * and resizes it when the visitor opens or closes the chat. */
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
  function mount() { document.body.appendChild(frame); }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);
})();
