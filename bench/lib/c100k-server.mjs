// The c100k server process: one anywire server (memory broker, WebSocket only) that idle clients
// connect to; answers memory, connection count and broadcast requests from the orchestrator.
import { serve } from './ipc.mjs';

const DIST = process.env.ANYWIRE_BENCH_DIST;
let server;

async function collect() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
}

serve({
  async start() {
    const { createServer } = await import(`${DIST}server.js`);
    server = createServer({ transports: ['websocket'], rateLimit: false });
    const { url } = await server.listen(0, '127.0.0.1');
    return { url, pid: process.pid };
  },
  async mem() {
    await collect();
    await new Promise((r) => setTimeout(r, 200));
    await collect();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections: server.connectionCount };
  },
  connections: () => server.connectionCount,
  /** Sends broadcast `k`; `sendMs`: until the server has handed it to every socket (the fan-out is synchronous). */
  async broadcast({ k }) {
    const t0 = process.hrtime.bigint();
    await server.publish('all', { k });
    await new Promise((r) => setImmediate(r));
    return { t0: String(t0), sendMs: Number(process.hrtime.bigint() - t0) / 1e6 };
  },
  async close() {
    await server.close();
  },
});
