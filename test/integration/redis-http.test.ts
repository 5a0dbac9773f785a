// No sticky sessions: two servers on one Redis behind a round-robin HTTP load balancer that sends
// every request to the next server. Each HTTP transport alone: pub/sub and recovery work, and
// both servers take part (session ids signed on one verify on the other: the shared secret). On a
// single Redis and on a Redis Cluster.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import type { Client } from '../../src/core/client.js';
import { redisBroker } from '../../src/node/server/index.js';
import { startRoundRobinProxy } from '../helpers/round-robin-proxy.js';
import {
  cleanPrefix,
  redisKinds,
  redisTarget,
  stopSpawnedCluster,
  stopSpawnedRedis,
  TEST_SECRET,
  testPrefix,
  type RedisKind,
} from '../helpers/redis.js';
import { client as makeClient, onCleanup, startServer, waitForState } from '../helpers/server.js';

afterAll(() => {
  stopSpawnedCluster();
  return stopSpawnedRedis();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function twoServers(kind: RedisKind) {
  const target = await redisTarget(kind);
  const prefix = testPrefix();
  onCleanup(() => cleanPrefix(kind, prefix));
  const a = await startServer({ broker: redisBroker({ ...target, keyPrefix: prefix }), secret: TEST_SECRET });
  const b = await startServer({ broker: redisBroker({ ...target, keyPrefix: prefix }), secret: TEST_SECRET });
  const proxy = await startRoundRobinProxy(a.port, b.port);
  onCleanup(() => proxy.close());
  return { a, b, proxy, url: `http://127.0.0.1:${proxy.port}${a.server.path}` };
}

function collect(c: Client, channel: string) {
  const got: { data: unknown; offset: number }[] = [];
  const gaps: string[] = [];
  const sub = c.subscribe(channel, (data, meta) => got.push({ data, offset: meta.offset }));
  sub.on('gap', (e) => gaps.push(e.reason));
  return { got, gaps, sub };
}

const httpTransports: TransportName[] = ['sse', 'long-polling', 'polling'];

describe.each(redisKinds.flatMap((k) => httpTransports.map((t) => [t, k] as const)))(
  '%s through a round-robin load balancer (no stickiness), %s Redis',
  (transport, kind) => {
    const options = { transports: [transport], pollInterval: 50, reconnect: { minDelay: 20, maxDelay: 200 } };

    it('delivers publishes from clients and from both servers, in order, to every subscriber', async () => {
      const { a, b, proxy, url } = await twoServers(kind);
      let handshakes = 0;
      a.server.on('connection', () => handshakes++);
      b.server.on('connection', () => handshakes++);
      const subscriber = makeClient(url, options);
      const publisher = makeClient(url, options);
      await Promise.all([subscriber.connect(), publisher.connect()]);
      const s = collect(subscriber, 'rr');
      await s.sub.ready;
      for (let i = 1; i <= 10; i++) {
        if (i % 3 === 0) await a.server.publish('rr', i);
        else if (i % 3 === 1) await b.server.publish('rr', i);
        else await publisher.publish('rr', i);
      }
      await vi.waitFor(() => expect(s.got).toHaveLength(10));
      expect(s.got).toEqual(range(1, 10).map((n) => ({ data: n, offset: n })));
      expect(s.gaps).toEqual([]);
      // One handshake per client: every request after it was accepted by whichever server it hit.
      expect(handshakes).toBe(2);
      expect(proxy.hits.get(a.port)).toBeGreaterThan(0);
      expect(proxy.hits.get(b.port)).toBeGreaterThan(0);
    });

    it('recovers what was published while the client could reach no server', async () => {
      const { a, b, proxy, url } = await twoServers(kind);
      const c = makeClient(url, options);
      await c.connect();
      const s = collect(c, 'away');
      await s.sub.ready;
      await a.server.publish('away', 1);
      await vi.waitFor(() => expect(s.got).toHaveLength(1));

      proxy.setTargets();
      proxy.cutAll();
      await waitForState(c, 'reconnecting');
      for (let i = 2; i <= 11; i++) await (i % 2 ? a : b).server.publish('away', i);
      proxy.setTargets(a.port, b.port);
      await vi.waitFor(() => expect(s.got).toHaveLength(11), { timeout: 15_000 });
      expect(s.got).toEqual(range(1, 11).map((n) => ({ data: n, offset: n })));
      expect(s.gaps).toEqual([]);
      await b.server.publish('away', 12);
      await vi.waitFor(() => expect(s.got.at(-1)).toEqual({ data: 12, offset: 12 }));
    });
  },
);
