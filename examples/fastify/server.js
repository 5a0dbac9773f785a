// Fastify 5 and anywire on one port: the app's routes, plus anywire at /anywire (WebSocket, SSE,
// long polling and polling). Run: npm install && npm start (PORT=0 picks a free port).
import Fastify from 'fastify';
import { createServer } from 'anywire/server';

// close() ends open keep-alive connections too, so SIGTERM exits promptly.
const app = Fastify({ forceCloseConnections: true });
const anywire = createServer({ path: '/anywire' });
anywire.attach(app.server); // Fastify's own http server; anywire takes /anywire only

app.get('/hello', async () => ({ hello: 'from fastify' }));
// The backend publishes too: POST /announce {"text":"…"} reaches every subscriber of "chat".
app.post('/announce', async (req) => {
  const { offset } = await anywire.publish('chat', { text: String(req.body?.text ?? ''), from: 'fastify' });
  return { offset };
});
// Close anywire before Fastify closes its server: clients are told to reconnect elsewhere.
app.addHook('preClose', async () => {
  await anywire.close();
});

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
console.log(`listening on http://127.0.0.1:${app.server.address().port}`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await app.close();
    process.exit(0);
  });
}
