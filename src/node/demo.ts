/**
 * The demo chat served at `/` by `anywire serve`: one self-contained page (no external assets)
 * that loads the script-tag bundle from `<path>/client.js`. A chat room with who is online and
 * typing, the connection state and transport, and a transport lab: pick WebSocket, SSE, long
 * polling or polling and compare the latency of your own messages and the requests each makes.
 * Who is online comes from anywire's presence (`sub.presence()`, `join`/`leave`, this page's name
 * as its presence data) and the room's last messages from `rewind` on entering; typing notices are
 * plain messages on the room's channel.
 *
 * Anyone who reaches the demo may use it, so its server is locked to the demo (`demoServerOptions`):
 * each page proves a random id it chose with a secret it keeps (the first page to use an id owns
 * it), may publish only to its own `demo.say.<id>` channel, and the server re-publishes what it
 * says on the room's channel with the author stamped from that id, keeping only the known fields:
 * a page cannot speak as another. Only the demo's channels can be subscribed or published to.
 */
import type { ServerOptions } from './server/options.js';
import type { Broker, Payload } from './server/brokers/types.js';
import { clientBundleVersion } from './server/client-bundle.js';

const ROOM = 'demo.lobby';
const SAY = /^demo\.say\.(u[0-9a-f]{12})$/;
const TOKEN = /^([0-9a-f]{12})\.([0-9a-f]{32})$/;
/** Ids bound to their page's secret; the oldest binding goes first past this many. */
const maxIds = 100_000;

const text = (v: unknown, max: number): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);

/** What the server publishes on the room for one `demo.say.<id>` publish: known fields, the author stamped. */
function stamp(id: string, payload: Payload): string {
  let data: Record<string, unknown> | null = null;
  try {
    data = typeof payload === 'string' ? JSON.parse(payload) : null;
  } catch {
    data = null;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('demo: a chat message is a JSON object');
  const kind = data.k === 'msg' || data.k === 'typing' ? data.k : undefined;
  if (!kind) throw new Error('demo: unknown message kind');
  const from = (data.from ?? {}) as Record<string, unknown>;
  // `at` (typing only): the server's clock, so a page replaying the room's history (rewind) can tell an old notice.
  const at = kind === 'typing' ? Date.now() : undefined;
  return JSON.stringify({
    k: kind,
    id: text(data.id, 64),
    text: text(data.text, 500),
    at,
    from: { id, name: text(from.name, 24) ?? 'anonymous' },
  });
}

/** The broker of the demo: a publish on `demo.say.<id>` goes to the room, its author stamped. */
function demoBroker(inner: Broker): Broker {
  const publish: Broker['publish'] = (channel, payload, options) => {
    const m = SAY.exec(channel);
    return m ? inner.publish(ROOM, stamp(m[1]!, payload), options) : inner.publish(channel, payload, options);
  };
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * The server options of `anywire serve`: the demo's identities, its channels only, and the
 * room's author stamped by the server. `broker` is wrapped (default: a memory broker).
 */
export function demoServerOptions(broker: Broker): Pick<ServerOptions, 'broker' | 'authenticate' | 'authorize' | 'presence'> {
  const owners = new Map<string, string>();
  return {
    broker: demoBroker(broker),
    // The online list: presence on the room.
    presence: (channel) => channel === ROOM,
    authenticate: ({ token }) => {
      const m = TOKEN.exec(token ?? '');
      if (!m) return null;
      const [, id, secret] = m as unknown as [string, string, string];
      const owner = owners.get(id);
      if (owner !== undefined && owner !== secret) return null; // another page holds this id
      if (owner === undefined) {
        owners.set(id, secret);
        if (owners.size > maxIds) owners.delete(owners.keys().next().value!);
      }
      return { id: 'u' + id };
    },
    authorize: ({ identity, channel, action }) => {
      const id = (identity as { id: string }).id;
      if (channel.startsWith(`demo.probe.${id}.`)) return true; // the page's own latency probes
      return action === 'subscribe' ? channel === ROOM : channel === `demo.say.${id}`;
    },
  };
}

const css = `
:root{--bg:#f4f5fb;--panel:#fff;--ink:#1c1d2b;--muted:#6b6f85;--line:#e4e6f0;--accent:#5b4fe0;--accent-2:#8a7dff;
--ok:#1fa463;--warn:#e0a100;--bad:#d9453b;--mine:#5b4fe0;--radius:14px;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#10111a;--panel:#1a1b27;--ink:#eceefa;--muted:#9a9db4;--line:#2a2c3d;--mine:#6d61ff}}
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--ink);display:flex;flex-direction:column;min-height:100dvh}
header{display:flex;align-items:center;justify-content:space-between;gap:12px;padding:12px 20px;background:linear-gradient(120deg,#2a2170,#5b4fe0 60%,#8a7dff);color:#fff;box-shadow:0 2px 12px rgba(40,30,120,.25)}
.brand{display:flex;align-items:center;gap:10px;font-weight:700;font-size:18px;letter-spacing:.2px}
.logo{display:inline-grid;place-items:center;width:30px;height:30px;border-radius:9px;background:rgba(255,255,255,.18);font-size:16px}
.room{font-weight:500;opacity:.8;font-size:15px}
.status{display:flex;align-items:center;gap:10px;font-size:13px;flex-wrap:wrap;justify-content:flex-end}
.pill{display:inline-flex;align-items:center;gap:7px;padding:4px 11px;border-radius:999px;background:rgba(255,255,255,.16);font-weight:600}
.pill i{width:9px;height:9px;border-radius:50%;background:var(--warn);box-shadow:0 0 0 3px rgba(255,255,255,.15)}
.pill.connected i{background:#3ddc84}.pill.disconnected i{background:#ff6b5f}
.pill.connecting i,.pill.reconnecting i{animation:pulse 1s ease-in-out infinite}
@keyframes pulse{50%{opacity:.25}}
.via{opacity:.9}.via b{font-weight:700}
.banner{margin:0;padding:9px 20px;background:#fff4d6;color:#6b4e00;font-size:14px;border-bottom:1px solid #f0dc9c}
.banner.bad{background:#ffe3e0;color:#7a1d15;border-color:#f3b9b2}
@media (prefers-color-scheme:dark){.banner{background:#3a3012;color:#ffe08a;border-color:#5a4a18}.banner.bad{background:#3d1a17;color:#ffb4ab;border-color:#5c2620}}
main{flex:1;display:grid;grid-template-columns:minmax(0,1fr) 360px;gap:18px;padding:18px 20px;max-width:1180px;width:100%;margin:0 auto;min-height:0}
.chat{display:flex;flex-direction:column;background:var(--panel);border:1px solid var(--line);border-radius:var(--radius);min-height:0;height:calc(100dvh - 110px);overflow:hidden}
.log{list-style:none;margin:0;padding:16px;flex:1;overflow-y:auto;display:flex;flex-direction:column;gap:8px;scroll-behavior:smooth}
.msg{max-width:78%;display:flex;flex-direction:column;align-self:flex-start}
.msg .who{font-size:12px;color:var(--muted);margin:0 0 2px 10px}
.bubble{padding:8px 13px;border-radius:16px 16px 16px 5px;background:var(--bg);border:1px solid var(--line);white-space:pre-wrap;overflow-wrap:anywhere}
.msg.mine{align-self:flex-end;align-items:flex-end}
.msg.mine .bubble{background:var(--mine);color:#fff;border-color:transparent;border-radius:16px 16px 5px 16px}
.msg.pending .bubble{opacity:.65}.msg.failed .bubble{background:var(--bad)}
.meta{font-size:11px;color:var(--muted);margin:2px 8px 0;font-variant-numeric:tabular-nums}
.sys{align-self:center;font-size:12.5px;color:var(--muted);background:var(--bg);padding:4px 12px;border-radius:999px;text-align:center;max-width:92%}
.empty{margin:auto;text-align:center;color:var(--muted);font-size:14px}
.typing{height:20px;padding:0 18px;font-size:12.5px;color:var(--muted);font-style:italic}
.composer{display:flex;gap:8px;padding:12px;border-top:1px solid var(--line)}
.composer input{flex:1;min-width:0;font:inherit;padding:11px 14px;border-radius:12px;border:1px solid var(--line);background:var(--bg);color:var(--ink);outline:none}
.composer input:focus{border-color:var(--accent);box-shadow:0 0 0 3px rgba(91,79,224,.18)}
button{font:inherit;cursor:pointer}
.send{padding:0 18px;border:0;border-radius:12px;background:var(--accent);color:#fff;font-weight:600}
.send:hover{background:#4a3fd0}
aside{display:flex;flex-direction:column;gap:14px;min-width:0}
.card{background:var(--panel);border:1px solid var(--line);border-radius:var(--radius);padding:14px 16px}
.card h2{margin:0 0 10px;font-size:13px;text-transform:uppercase;letter-spacing:.7px;color:var(--muted);display:flex;align-items:center;justify-content:space-between;gap:8px}
.seg{display:grid;grid-template-columns:repeat(5,auto);gap:4px;background:var(--bg);padding:4px;border-radius:11px}
.seg button{border:0;background:transparent;color:var(--ink);padding:7px 4px;border-radius:8px;font-size:12.5px;font-weight:600;white-space:nowrap}
.seg button[aria-checked=true]{background:var(--panel);color:var(--accent);box-shadow:0 1px 4px rgba(0,0,0,.12)}
.hint{font-size:12.5px;color:var(--muted);margin:10px 0 0}
.links{font-size:12.5px;margin:8px 0 0;color:var(--muted)}
.links a{color:var(--accent);text-decoration:none;font-weight:600}
.ghost{border:1px solid var(--line);background:transparent;color:var(--accent);border-radius:8px;padding:4px 10px;font-size:12px;font-weight:600;text-transform:none;letter-spacing:0}
.ghost:disabled{opacity:.6;cursor:progress}
table{width:100%;border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th{text-align:right;font-weight:600;color:var(--muted);font-size:11.5px;padding:4px 4px;border-bottom:1px solid var(--line)}
td{text-align:right;padding:7px 4px;border-bottom:1px solid var(--line);white-space:nowrap}
th:first-child,td:first-child{text-align:left}
tr.current td{color:var(--accent);font-weight:700}
tr:last-child td{border-bottom:0}
.bar{display:inline-block;height:6px;border-radius:3px;background:var(--accent-2);vertical-align:middle;margin-right:6px;opacity:.7}
.people{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}
.people li{display:inline-flex;align-items:center;gap:6px;padding:4px 10px 4px 4px;border-radius:999px;background:var(--bg);font-size:13px}
.av{display:inline-grid;place-items:center;width:22px;height:22px;border-radius:50%;color:#fff;font-size:11px;font-weight:700}
.count{background:var(--accent);color:#fff;border-radius:999px;padding:1px 8px;font-size:11px}
.me{display:flex;align-items:center;gap:8px;margin-top:10px;font-size:13px;color:var(--muted)}
.me input{flex:1;min-width:0;font:inherit;padding:6px 10px;border-radius:9px;border:1px solid var(--line);background:var(--bg);color:var(--ink)}
@media (max-width:820px){
  main{grid-template-columns:1fr;padding:10px;gap:10px}
  .chat{height:calc(100dvh - 190px);min-height:360px}
  header{padding:10px 12px}.brand{font-size:16px}.room{display:none}
  .banner{padding:8px 12px}
  .msg{max-width:88%}
}
`;

// The page script. Plain ES2017 in a string: no template literals inside (this file is one).
const script = String.raw`
(function () {
  var cfg = JSON.parse(document.getElementById('cfg').textContent);
  var URL_ = location.origin + cfg.path;
  var CHANNEL = 'demo.lobby';
  var T = ['websocket', 'sse', 'long-polling', 'polling'];
  var LABEL = { auto: 'Auto', websocket: 'WebSocket', sse: 'SSE', 'long-polling': 'Long polling', polling: 'Polling' };
  var HINT = {
    auto: 'Tries WebSocket, then SSE, long polling and polling, and remembers what worked. Pick one to compare.',
    websocket: 'One persistent two-way connection: the lowest latency and overhead.',
    sse: 'Messages stream down one long HTTP response; each publish is a POST beside it.',
    'long-polling': 'Each request waits until there is something to deliver, then the client asks again.',
    polling: 'Asks every 2 s whatever happened: works through anything, the slowest to deliver.'
  };
  var $ = function (id) { return document.getElementById(id); };
  var now = function () { return performance.now(); };

  // ---- who am I ----
  var ADJ = ['Swift', 'Quiet', 'Brave', 'Lucky', 'Sunny', 'Clever', 'Gentle', 'Bold', 'Happy', 'Calm'];
  var ANIMAL = ['Otter', 'Falcon', 'Panda', 'Fox', 'Koala', 'Heron', 'Lynx', 'Badger', 'Whale', 'Owl'];
  var pick = function (a) { return a[Math.floor(Math.random() * a.length)]; };
  // The id this page chose and the secret that proves it (the server binds the id to the first
  // secret it sees, and stamps it on everything this page says).
  function hex(n) { var b = new Uint8Array(n); crypto.getRandomValues(b); return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join(''); }
  var hexId = hex(6);
  var TOKEN = hexId + '.' + hex(16);
  // #share: this browser's tabs are one person on one shared connection (shareConnection), so they
  // need one identity: kept in localStorage.
  var SHARE = /(^#|&)share\b/.test(location.hash);
  if (SHARE) try { TOKEN = localStorage.getItem('anywire-demo-token') || TOKEN; localStorage.setItem('anywire-demo-token', TOKEN); hexId = TOKEN.split('.')[0]; } catch (e) {}
  var me = { id: 'u' + hexId, name: '' };
  var SAY = 'demo.say.' + me.id;
  try { me.name = localStorage.getItem('anywire-demo-name') || ''; } catch (e) {}
  if (!me.name) me.name = pick(ADJ) + ' ' + pick(ANIMAL);
  $('name').value = me.name;

  // ---- counting requests per transport ----
  // The client takes fetch and WebSocket from the page when it is created, so each client gets
  // counting wrappers that know which transport to charge.
  var stats = {};
  T.forEach(function (t) { stats[t] = { lat: [], req: 0, msgs: 0 }; });
  var nativeFetch = window.fetch.bind(window);
  var NativeWS = window.WebSocket;
  function byPath(url) {
    var p = String(url);
    if (/^wss?:/.test(p)) return 'websocket';
    if (/\/sse(\?|$)/.test(p)) return 'sse';
    if (/\/long-poll(\?|$)/.test(p)) return 'long-polling';
    if (/\/poll(\?|$)/.test(p)) return 'polling';
    return null;
  }
  function bump(key) { if (stats[key]) { stats[key].req++; renderStats(); } }
  function counted(charge, make) {
    var f = window.fetch, W = window.WebSocket;
    window.fetch = function (input, init) { bump(charge(input)); return nativeFetch(input, init); };
    var CountingWS = function (url, protocols) {
      bump(charge(url));
      return protocols === undefined ? new NativeWS(url) : new NativeWS(url, protocols);
    };
    CountingWS.prototype = NativeWS.prototype;
    ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach(function (k) { CountingWS[k] = NativeWS[k]; });
    window.WebSocket = CountingWS;
    try { return make(); } finally { window.fetch = f; window.WebSocket = W; }
  }

  // ---- rendering ----
  var log = $('log');
  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function system(text) {
    var stick = nearBottom();
    var empty = $('empty'); if (empty) empty.remove();
    log.appendChild(el('li', 'sys', text));
    if (stick) scrollDown();
  }
  var bubbles = {};
  function message(m, mine) {
    var stick = nearBottom() || mine;
    var empty = $('empty'); if (empty) empty.remove();
    var li = el('li', 'msg' + (mine ? ' mine' : ''));
    if (!mine) li.appendChild(el('div', 'who', m.from.name));
    li.appendChild(el('div', 'bubble', m.text));
    var meta = el('div', 'meta', '');
    li.appendChild(meta);
    log.appendChild(li);
    if (stick) scrollDown();
    return { li: li, meta: meta };
  }
  function color(id) { var h = 0; for (var i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360; return 'hsl(' + h + ' 55% 52%)'; }
  function median(a) { if (!a.length) return null; var s = a.slice().sort(function (x, y) { return x - y; }); var m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; }
  function ms(v) { return v == null ? '—' : v < 10 ? v.toFixed(1) + ' ms' : Math.round(v) + ' ms'; }
  function renderStats() {
    var body = $('stats');
    var max = 1;
    T.forEach(function (t) { var m = median(stats[t].lat); if (m != null && m > max) max = m; });
    body.textContent = '';
    T.forEach(function (t) {
      var s = stats[t], m = median(s.lat);
      var tr = el('tr', client && client.transport === t ? 'current' : '');
      tr.setAttribute('data-transport', t);
      tr.appendChild(el('td', '', LABEL[t]));
      var lat = el('td', '');
      if (m != null) { var bar = el('span', 'bar'); bar.style.width = Math.max(3, Math.round(44 * m / max)) + 'px'; lat.appendChild(bar); }
      lat.appendChild(document.createTextNode(ms(m)));
      tr.appendChild(lat);
      tr.appendChild(el('td', '', String(s.req)));
      tr.appendChild(el('td', '', String(s.lat.length)));
      body.appendChild(tr);
    });
  }

  // ---- who is online: anywire presence; typing: ordinary messages on the room's channel ----
  // people: member id (the page's id, its identity) → name. A reconnect or a transport change is
  // neither a leave nor a join (the server's presenceGrace), so the list does not flicker.
  // No prototype: an id is a key here, and no key may reach Object.prototype.
  var people = Object.create(null), typing = Object.create(null);
  function addMember(member) {
    var d = member && member.data;
    if (member && typeof member.id === 'string') people[member.id] = { name: String((d && d.name) || 'someone').slice(0, 24) };
  }
  function refreshPeople(s) {
    s.presence().then(function (list) {
      if (s !== sub) return;
      people = Object.create(null);
      list.forEach(addMember);
      renderPeople();
    }).catch(function () {});
  }
  function renderPeople() {
    var list = $('people'); list.textContent = '';
    var t = Date.now(), n = 0;
    Object.keys(people).forEach(function (id) {
      var p = people[id];
      n++;
      var li = el('li');
      var av = el('span', 'av', p.name.slice(0, 1).toUpperCase()); av.style.background = color(id);
      li.appendChild(av); li.appendChild(document.createTextNode(p.name + (id === me.id ? ' (you)' : '')));
      list.appendChild(li);
    });
    $('count').textContent = String(n);
    var names = Object.keys(typing).filter(function (id) { return id !== me.id && t - typing[id].at < 3500; }).map(function (id) { return typing[id].name; });
    $('typing').textContent = names.length === 0 ? '' : names.length === 1 ? names[0] + ' is typing…' : names.slice(0, 3).join(', ') + ' are typing…';
  }
  setInterval(renderPeople, 1000);

  // ---- the chat client ----
  var client = null, sub = null, choice = 'auto', joined = false, lastPath = 'websocket', seq = 0;
  var pending = Object.create(null);
  var m = /[#&]t=([\w-]+)/.exec(location.hash);
  if (m && (m[1] === 'auto' || T.indexOf(m[1]) >= 0)) choice = m[1];

  function humane(reason) {
    if (/SERVER_SHUTTING_DOWN/.test(reason)) return 'the server is restarting';
    if (/TRANSPORTS_EXHAUSTED|failed|refused|closed/i.test(reason)) return 'the server is unreachable: ' + reason;
    return reason;
  }
  function setState(state, reason) {
    var pill = $('pill'); pill.className = 'pill ' + state;
    $('state').textContent = state;
    var banner = $('banner');
    if (state === 'reconnecting' || state === 'disconnected') {
      banner.hidden = false;
      banner.className = 'banner' + (state === 'disconnected' ? ' bad' : '');
      banner.textContent = state === 'reconnecting'
        ? 'Connection lost — reconnecting by itself. Messages you send now are queued.' + (reason ? ' (' + humane(reason) + ')' : '')
        : 'Disconnected.' + (reason ? ' ' + reason : '');
    } else banner.hidden = true;
  }

  // Everything this page says goes to its own channel; the server puts it on the room, stamped.
  function publish(data) { return client ? client.publish(SAY, data) : Promise.reject(new Error('no client')); }
  function known(from) { if (people[from.id]) people[from.id].name = String(from.name).slice(0, 24); }

  function onMessage(data) {
    if (!data || typeof data !== 'object' || !data.from || typeof data.from.id !== 'string') return;
    var from = data.from;
    if (data.k === 'typing') {
      // A typing notice replayed from history (rewind) is old news.
      if (!(Date.now() - data.at < 3500)) return;
      typing[from.id] = { name: String(from.name).slice(0, 24), at: Date.now() }; known(from); renderPeople(); return;
    }
    if (data.k !== 'msg' || typeof data.text !== 'string') return;
    delete typing[from.id];
    known(from);
    renderPeople();
    var own = typeof data.id === 'string' && from.id === me.id ? pending[data.id] : undefined;
    if (own) {
      delete pending[data.id];
      var latency = now() - own.t0;
      var via = client.transport || own.via;
      if (stats[via]) { stats[via].lat.push(latency); stats[via].msgs++; }
      own.view.li.classList.remove('pending');
      own.view.meta.textContent = ms(latency) + ' · ' + LABEL[via];
      own.view.li.setAttribute('data-latency', String(latency));
      renderStats();
      return;
    }
    if (from.id === me.id && !SHARE) return; // sent before a reload of this page's client
    var v = message({ from: from, text: data.text }, false);
    v.meta.textContent = new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    var cur = client.transport; if (stats[cur]) stats[cur].msgs++;
  }

  function start() {
    if (client) { client.close(); client = null; }
    var options = { url: URL_, token: TOKEN, shareConnection: SHARE };
    if (choice !== 'auto') options.transports = [choice];
    client = counted(function (url) {
      var k = byPath(url);
      if (k) lastPath = k;
      return k || (client && client.transport) || (choice !== 'auto' ? choice : lastPath);
    }, function () { return Anywire.createClient(options); });
    var c = client;
    setState(c.state);
    c.on('state', function (e) { if (c === client) setState(e.state, e.reason); });
    c.on('transport', function (e) {
      if (c !== client) return;
      $('transport').textContent = e.transport ? LABEL[e.transport] : '—';
      renderStats();
    });
    // The room's last messages, then live ones: no gap and no duplicate between them.
    var s = sub = c.subscribe(CHANNEL, onMessage, { rewind: 50, presence: { name: me.name } });
    people = Object.create(null);
    sub.on('join', function (e) { if (s === sub) { addMember(e.member); renderPeople(); } });
    // A member is a page's identity: a page that switched transports in the lab is still here
    // through its new client, so its old client's end is not a leave.
    sub.on('leave', function (e) { if (s === sub) { delete people[e.member.id]; renderPeople(); } });
    sub.on('subscribed', function (e) {
      if (c !== client) return;
      if (!joined) { joined = true; system('You joined as ' + me.name + '. Open this page in another window to chat with yourself.'); }
      else if (e.resumed) system('Back online via ' + LABEL[c.transport] + ' — nothing was missed.');
      refreshPeople(s);
    });
    sub.on('gap', function () {
      if (c === client) system('The server restarted and lost its history: messages sent while you were away may be missing.');
    });
  }

  // ---- picker ----
  function renderPicker() {
    Array.prototype.forEach.call(document.querySelectorAll('#picker button'), function (b) {
      b.setAttribute('aria-checked', String(b.getAttribute('data-t') === choice));
    });
    $('hint').textContent = HINT[choice];
  }
  $('picker').addEventListener('click', function (e) {
    var b = e.target.closest('button'); if (!b) return;
    var t = b.getAttribute('data-t');
    if (t === choice) return;
    choice = t;
    history.replaceState(null, '', '#t=' + t);
    renderPicker();
    system('Switched to ' + LABEL[t] + '.');
    $('transport').textContent = '—';
    start();
  });

  // ---- composer ----
  var lastTyping = 0;
  $('text').addEventListener('input', function () {
    var t = Date.now();
    if (t - lastTyping > 2000 && $('text').value) { lastTyping = t; publish({ k: 'typing', from: me, at: Date.now() }).catch(function () {}); }
  });
  $('composer').addEventListener('submit', function (e) {
    e.preventDefault();
    var text = $('text').value.trim();
    if (!text) return;
    $('text').value = '';
    lastTyping = 0;
    var id = 'm' + (++seq);
    var view = message({ from: me, text: text }, true);
    view.li.classList.add('pending');
    view.meta.textContent = client.state === 'connected' ? 'sending…' : 'queued — will send on reconnect';
    pending[id] = { t0: now(), via: client.transport || choice, view: view };
    publish({ k: 'msg', id: id, from: me, text: text }).catch(function (err) {
      delete pending[id];
      view.li.classList.remove('pending'); view.li.classList.add('failed');
      view.meta.textContent = 'not sent: ' + (err && err.code ? err.code : err);
    });
  });
  $('name').addEventListener('change', function () {
    var v = $('name').value.trim().slice(0, 24);
    if (!v) { $('name').value = me.name; return; }
    me.name = v;
    try { localStorage.setItem('anywire-demo-name', v); } catch (e) {}
    if (people[me.id]) { people[me.id].name = v; renderPeople(); }
  });
  // Names change (a rename shows to others with that person's next message); the list catches up.
  setInterval(function () { if (sub) refreshPeople(sub); }, 15000);

  // ---- measure all four, one after another, on a private channel ----
  $('measure').addEventListener('click', function () {
    var button = $('measure');
    button.disabled = true;
    var chain = Promise.resolve();
    T.forEach(function (t) {
      chain = chain.then(function () {
        button.textContent = LABEL[t] + '…';
        var probe = counted(function () { return t; }, function () {
          return Anywire.createClient({ url: URL_, transports: [t], reconnect: false, token: TOKEN });
        });
        var ch = 'demo.probe.' + me.id + '.' + t;
        var waiting = null;
        var s = probe.subscribe(ch, function () { if (waiting) waiting(); });
        var round = function (i) {
          if (i === 5) return Promise.resolve();
          return new Promise(function (resolve, reject) {
            var t0 = now();
            var timer = setTimeout(function () { reject(new Error('timeout')); }, 10000);
            waiting = function () { clearTimeout(timer); stats[t].lat.push(now() - t0); renderStats(); resolve(); };
            probe.publish(ch, { i: i }).catch(reject);
          }).then(function () { return round(i + 1); });
        };
        return s.ready.then(function () { return round(0); }).catch(function (err) {
          system('Measuring ' + LABEL[t] + ' failed: ' + (err && err.message ? err.message : err));
        }).then(function () { probe.close(); });
      });
    });
    chain.then(function () { button.disabled = false; button.textContent = 'Measure all four'; });
  });

  var links = $('links');
  T.forEach(function (t, i) {
    var a = el('a', '', LABEL[t]);
    a.href = location.pathname + '#t=' + t; a.target = '_blank'; a.rel = 'noopener';
    if (i) links.appendChild(document.createTextNode(' · '));
    links.appendChild(a);
  });

  // Tabs sharing this connection: the share-mode tabs of this browser say hello to each other.
  var tabs = {}, tabId = hex(4), bc = SHARE && typeof BroadcastChannel === 'function' ? new BroadcastChannel('anywire-demo-tabs') : null;
  function renderTabs() {
    var n = 1, t = Date.now();
    for (var k in tabs) { if (t - tabs[k] < 3000) n++; else delete tabs[k]; }
    $('tabs').textContent = SHARE ? n + (n === 1 ? ' tab' : ' tabs') + ' sharing this connection (one connection on the server for all)' : '';
  }
  if (bc) {
    bc.onmessage = function (ev) { tabs[ev.data] = Date.now(); renderTabs(); };
    setInterval(function () { bc.postMessage(tabId); renderTabs(); }, 1000);
    bc.postMessage(tabId);
  }
  $('share').href = location.pathname + (SHARE ? '' : '#share');
  $('share').textContent = SHARE ? 'stop sharing' : 'share one connection across tabs';
  renderTabs();

  renderPicker();
  renderStats();
  renderPeople();
  start();
  window.demo = { get client() { return client; }, stats: stats };
})();
`;

/** The demo chat page; `path` is the anywire server's path (the bundle is at `<path>/client.js`). */
export function demoPage(path: string): string {
  const version = clientBundleVersion();
  const src = `${path}/client.js${version ? `?v=${version}` : ''}`;
  // JSON in a non-executable script tag; `<` escaped so no value can close the tag.
  const cfg = JSON.stringify({ path }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="theme-color" content="#4a3fc8">
<title>anywire · live chat demo</title>
<style>${css}</style>
</head>
<body>
<header>
  <div class="brand"><span class="logo" aria-hidden="true">◆</span> anywire <span class="room"># lobby</span></div>
  <div class="status">
    <span id="pill" class="pill connecting"><i></i><b id="state">connecting</b></span>
    <span class="via">via <b id="transport">—</b></span>
  </div>
</header>
<div id="banner" class="banner" hidden role="status"></div>
<main>
  <section class="chat" aria-label="Chat">
    <ol id="log" class="log" aria-live="polite"><li id="empty" class="empty">No messages yet. Say hello!</li></ol>
    <div id="typing" class="typing" aria-live="polite"></div>
    <form id="composer" class="composer" autocomplete="off">
      <input id="text" placeholder="Message # lobby" maxlength="500" aria-label="Message">
      <button class="send" type="submit">Send</button>
    </form>
  </section>
  <aside>
    <section class="card">
      <h2>Transport</h2>
      <div id="picker" class="seg" role="radiogroup" aria-label="Transport">
        <button type="button" role="radio" data-t="auto">Auto</button><button type="button" role="radio" data-t="websocket">WebSocket</button><button type="button" role="radio" data-t="sse">SSE</button><button type="button" role="radio" data-t="long-polling">Long poll</button><button type="button" role="radio" data-t="polling">Polling</button>
      </div>
      <p id="hint" class="hint"></p>
      <p class="links">Open a window on: <span id="links"></span></p>
      <p class="links"><span id="tabs"></span> <a id="share" target="_blank" rel="noopener"></a></p>
    </section>
    <section class="card">
      <h2>Compare <button id="measure" type="button" class="ghost">Measure all four</button></h2>
      <table><thead><tr><th>Transport</th><th>Latency (median)</th><th>Requests</th><th>Samples</th></tr></thead><tbody id="stats"></tbody></table>
      <p class="hint">Latency: from publish until your own message comes back through the server. Requests: HTTP requests and WebSocket connections this page made on each.</p>
    </section>
    <section class="card">
      <h2>Online <span id="count" class="count">0</span></h2>
      <ul id="people" class="people"></ul>
      <label class="me">You are <input id="name" maxlength="24" aria-label="Your name"></label>
    </section>
  </aside>
</main>
<script id="cfg" type="application/json">${cfg}</script>
<script src="${src}"></script>
<script>${script}</script>
</body></html>`;
}
