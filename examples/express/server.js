// Express 5 and anywire on one port: the app's routes, plus anywire at /anywire (WebSocket, SSE,
// long polling and polling). Run: npm install && npm start (PORT=0 picks a free port).
import express from 'express';
import { createServer } from 'anywire/server';

const app = express();
const anywire = createServer({ path: '/anywire' });

app.use(express.json());
app.get('/hello', (_req, res) => {
  res.json({ hello: 'from express' });
});
// The backend publishes too: POST /announce {"text":"…"} reaches every subscriber of "chat".
app.post('/announce', async (req, res) => {
  const { offset } = await anywire.publish('chat', { text: String(req.body?.text ?? ''), from: 'express' });
  res.json({ offset });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
anywire.attach(server);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await anywire.close(); // tells clients to reconnect elsewhere; leaves `server` to us
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
