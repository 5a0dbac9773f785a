// A c100k client process: opens its share of idle anywire WebSocket clients (the real Node client),
// each bound to one of the loopback source addresses it is given (localAddress), so that the
// ephemeral ports of one address (~28,000) do not cap the count. Every client subscribes to 'all'.
import { serve } from './ipc.mjs';

const DIST = process.env.ANYWIRE_BENCH_DIST;
const clients = [];
const arrivals = new Map(); // k → { count, last, waiters }
let failures = 0;
let lastError = '';

function arrived(k) {
  const t = process.hrtime.bigint();
  let a = arrivals.get(k);
  if (!a) arrivals.set(k, (a = { count: 0, last: 0n, waiters: [] }));
  a.count++;
  a.last = t;
  if (a.count === clients.length) for (const w of a.waiters) w();
}

serve({
  /** Opens `count` clients, `concurrency` at a time, round-robin over `addresses`; stops at `deadline` (ms). */
  async connect({ url, count, concurrency, addresses, deadline }) {
    const { createClient } = await import(`${DIST}index.js`);
    const WS = (await import('ws')).default;
    const socketFor = (localAddress) =>
      class extends WS {
        constructor(u, protocols) {
          super(u, protocols, { localAddress, perMessageDeflate: false });
        }
      };
    const sockets = addresses.map(socketFor);
    const end = Date.now() + deadline;
    const t0 = Date.now();
    let next = 0;
    const one = async (i) => {
      const c = createClient({
        url,
        transports: ['websocket'],
        WebSocket: sockets[i % sockets.length],
        reconnect: false,
        connectTimeout: 60_000,
      });
      try {
        await c.connect();
        await c.subscribe('all', (d) => arrived(d.k)).ready;
        clients.push(c);
      } catch (err) {
        failures++;
        lastError = String(err?.message ?? err);
        c.close();
      }
    };
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count && Date.now() < end) await one(next++);
      }),
    );
    return { connected: clients.length, failures, lastError, seconds: (Date.now() - t0) / 1000 };
  },
  /** Resolves when every client here received broadcast `k`: the arrival time of the last one. */
  expect({ k, timeout }) {
    return new Promise((resolve, reject) => {
      let a = arrivals.get(k);
      if (!a) arrivals.set(k, (a = { count: 0, last: 0n, waiters: [] }));
      const done = () => {
        clearTimeout(timer);
        resolve({ last: String(a.last), count: a.count });
      };
      const timer = setTimeout(
        () => reject(new Error(`broadcast ${k}: ${a.count}/${clients.length} arrived within ${timeout} ms`)),
        timeout,
      );
      if (a.count === clients.length) return done();
      a.waiters.push(done);
    });
  },
  rss: () => process.memoryUsage().rss,
});
