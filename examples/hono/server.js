// Hono 4 on Node (@hono/node-server) and anywire on one port: the app's routes, plus anywire at
// /anywire (WebSocket, SSE, long polling and polling). Run: npm install && npm start (PORT=0
// picks a free port).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createServer } from 'anywire/server';

const app = new Hono();
const anywire = createServer({ path: '/anywire' });

app.get('/hello', (c) => c.json({ hello: 'from hono' }));
// The backend publishes too: POST /announce {"text":"…"} reaches every subscriber of "chat".
app.post('/announce', async (c) => {
  const body = await c.req.json().catch(() => ({}));
  const { offset } = await anywire.publish('chat', { text: String(body.text ?? ''), from: 'hono' });
  return c.json({ offset });
});

const server = serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
anywire.attach(server); // the node:http server under Hono; anywire takes /anywire only

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await anywire.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
