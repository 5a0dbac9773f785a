// The server process of one case: starts one system's server and answers the orchestrator.
// Run with --expose-gc so memory is measured after a full collection.
import { serve } from './ipc.mjs';
import { startServer, systemByName } from './systems.mjs';

let server;

function now() {
  return process.hrtime.bigint(); // CLOCK_MONOTONIC: one clock for every process on the machine
}

async function collect() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await new Promise((r) => setImmediate(r));
  }
}

serve({
  async start({ system }) {
    server = await startServer(systemByName(system));
    return { url: server.url };
  },
  async mem() {
    await collect();
    await new Promise((r) => setTimeout(r, 200));
    await collect();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections: server?.connections() ?? 0 };
  },
  broadcast({ k }) {
    const t0 = now();
    server.broadcast({ k, text: 'a broadcast to every subscriber' });
    return { t0: String(t0) };
  },
  connections() {
    return server.connections();
  },
});
