#!/usr/bin/env node
// `node bench/redis-shard.mjs [--seconds 5] [--cluster redis://…,…]`: publishes per second one
// anywire server process gets through redisBroker on a single Redis and on a Redis Cluster, with
// 64 publishes in flight, 100-byte payloads: all channels on one shard, then spread over all
// shards. Starts a local 3+3 cluster (test/helpers/redis-cluster.mjs) when none is given. Loopback
// only, bounded in time; the keys are deleted afterwards.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const { redisBroker } = await import(`${ROOT}dist/server.js`);
const { startCluster, stopCluster } = await import(`${ROOT}test/helpers/redis-cluster.mjs`);

const arg = (n, d) => {
  const i = process.argv.indexOf(n);
  return i > 0 ? process.argv[i + 1] : d;
};
const seconds = Number(arg('--seconds', 5));
const payload = JSON.stringify('x'.repeat(98));
const history = { size: 1000, ttl: 60_000 };

async function measure(label, broker, channels) {
  await broker.connected();
  let done = 0;
  const end = Date.now() + seconds * 1000;
  const worker = async (w) => {
    for (let i = 0; Date.now() < end; i++) {
      await broker.publish(channels[(w + i) % channels.length], payload, { id: `${w}-${i}`, publisher: 'bench', history });
      done++;
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)));
  const rate = done / ((Date.now() - t0) / 1000);
  console.log(`${label.padEnd(46)} ${Math.round(rate).toLocaleString('en-US').padStart(8)} publishes/s`);
  return rate;
}

const prefix = `anywire-bench:${randomUUID()}:`;
let own;
let cluster = arg('--cluster')?.split(',');
if (!cluster) {
  own = await startCluster();
  cluster = own.urls;
}
try {
  const single = redisBroker({ url: arg('--url', 'redis://127.0.0.1:6379'), keyPrefix: prefix });
  await measure('single Redis, 1 channel', single, ['c']);
  await measure(
    'single Redis, 64 channels',
    single,
    Array.from({ length: 64 }, (_, i) => `c${i}`),
  );
  await single.close();
  const c = redisBroker({ cluster, keyPrefix: prefix });
  // {tag} keeps every channel key in one slot; plain names spread over the shards.
  await measure('Redis Cluster (3 primaries), 1 channel = 1 shard', c, ['c']);
  await measure(
    'Redis Cluster (3 primaries), 64 channels, 3 shards',
    c,
    Array.from({ length: 64 }, (_, i) => `c${i}`),
  );
  await c.close();
} finally {
  if (own) stopCluster(own);
  else console.log(`(keys under ${prefix} left on the given cluster)`);
}
if (!own) process.exit(0);
// The shared single Redis: delete this run's keys.
const { Redis } = await import('ioredis');
const r = new Redis(arg('--url', 'redis://127.0.0.1:6379'));
let cursor = '0';
do {
  const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length) await r.del(...keys);
} while (cursor !== '0');
r.disconnect();
