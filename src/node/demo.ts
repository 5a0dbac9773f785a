/** The demo chat page served at `/` by `anywire serve`. */
export function demoPage(path: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>anywire chat</title></head>
<body>
<h1>anywire chat</h1>
<p>transport: <b id="transport">-</b> · state: <b id="state">-</b></p>
<ul id="log"></ul>
<form id="form"><input id="text" autocomplete="off" placeholder="Say something"><button>Send</button></form>
<script src="${path}/client.js"></script>
<script>
const client = Anywire.createClient({ url: location.origin + ${JSON.stringify(path)} });
const $ = (id) => document.getElementById(id);
client.on('state', (e) => ($('state').textContent = e.state));
client.on('transport', (e) => ($('transport').textContent = e.transport || '-'));
client.subscribe('chat', (m) => { const li = document.createElement('li'); li.textContent = m.text; $('log').append(li); });
$('form').onsubmit = (e) => { e.preventDefault(); const t = $('text').value.trim(); if (t) client.publish('chat', { text: t }); $('text').value = ''; };
</script>
</body></html>`;
}
