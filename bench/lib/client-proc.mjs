// A client process: either the publisher+subscriber pair of the pipeline cases (throughput,
// latency; one process so both ends share a clock) or a share of the fan-out/memory subscribers.
import { serve } from './ipc.mjs';
import { connectClient, systemByName } from './systems.mjs';

const TEXT = 'hello from the benchmark publisher';
const now = () => process.hrtime.bigint();

function deadline(ms, what) {
  let timer;
  const p = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return { p, clear: () => clearTimeout(timer) };
}

/** One publisher → server → one subscriber, at most `window` messages in flight end to end. */
async function throughput(pub, setHandler, count, window, ms) {
  let sent = 0;
  let received = 0;
  let finish;
  const done = new Promise((r) => (finish = r));
  const pump = () => {
    while (sent < count && sent - received < window) pub.publish({ n: sent++, text: TEXT });
  };
  setHandler(() => {
    if (++received === count) finish(now());
    else pump();
  });
  const t0 = now();
  const d = deadline(ms, `throughput (${received}/${count})`);
  pump();
  try {
    const t1 = await Promise.race([done, d.p]);
    return { count, seconds: Number(t1 - t0) / 1e9, rate: count / (Number(t1 - t0) / 1e9) };
  } finally {
    d.clear();
  }
}

/** One message at a time; publish-to-receive in microseconds. */
async function latency(pub, setHandler, count, warmup, ms) {
  const samples = [];
  const d = deadline(ms, 'latency');
  try {
    for (let i = 0; i < warmup + count; i++) {
      const got = new Promise((r) => setHandler(r));
      const t0 = now();
      pub.publish({ n: i, text: TEXT });
      await Promise.race([got, d.p]);
      if (i >= warmup) samples.push(Number(now() - t0) / 1000);
    }
  } finally {
    d.clear();
  }
  samples.sort((a, b) => a - b);
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  return { count: samples.length, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

// ---- fan-out / memory subscribers -------------------------------------------------------------

const subs = [];
const arrivals = new Map(); // broadcast k → { count, last }

function onBroadcast(d) {
  if (d?.k === undefined) return;
  const t = now();
  let a = arrivals.get(d.k);
  if (!a) arrivals.set(d.k, (a = { count: 0, last: 0n, waiters: [] }));
  a.count++;
  a.last = t;
  if (a.count === subs.length) for (const w of a.waiters) w();
}

serve({
  async pipe({ system, url, count, window, latencyCount, warmup, timeout }) {
    const sys = systemByName(system);
    let handler = () => {};
    const sub = await connectClient(sys, url, 'sub', (d) => handler(d));
    const pub = await connectClient(sys, url, 'pub', null);
    const setHandler = (h) => (handler = h);
    const result = {};
    // Warm the JIT on both ends before timing anything.
    await throughput(pub, setHandler, Math.min(5000, Math.ceil(count / 10)), window, timeout);
    result.throughput = await throughput(pub, setHandler, count, window, timeout);
    result.latency = await latency(pub, setHandler, latencyCount, warmup, timeout);
    sub.close();
    pub.close();
    return result;
  },

  /** Adds `count` subscribers, `concurrency` handshakes at a time. */
  async connect({ system, url, count, concurrency }) {
    const sys = systemByName(system);
    const t0 = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        subs.push(await connectClient(sys, url, 'sub', onBroadcast));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return { total: subs.length, ms: Date.now() - t0 };
  },

  /** Resolves when every subscriber here has broadcast `k`: the time the last one got it. */
  async expect({ k, timeout }) {
    let a = arrivals.get(k);
    if (!a) arrivals.set(k, (a = { count: 0, last: 0n, waiters: [] }));
    if (a.count < subs.length) {
      const d = deadline(timeout, `broadcast ${k} (${a.count}/${subs.length})`);
      try {
        await Promise.race([new Promise((r) => a.waiters.push(r)), d.p]);
      } finally {
        d.clear();
      }
    }
    return { count: a.count, last: String(a.last) };
  },
});
