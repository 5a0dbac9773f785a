// A rolling restart: three servers on one Redis (single, and a Redis Cluster) behind a round-robin
// proxy with no stickiness; each server in turn leaves the proxy, close()s (its clients are told
// to come back), and a new one takes its place, while clients on all four transports publish and
// subscribe. Every subscriber gets every message exactly once and in publish order, and no client
// stays away longer than its reconnect backoff allows.
//
// Size: ROLLING_CLIENTS clients (default 200: 50 per transport, a tenth of them publishing). The
// issue asks for 1,000; on this shared 2-core machine 1,000 clients (500 of them HTTP pollers)
// need minutes per restart, past the ~3 minute budget of `npm test` (docs/scaling.md). `ROLLING_CLIENTS=1000 npx vitest run
// test/integration/rolling-restart.test.ts` runs the full size.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import type { Client } from '../../src/core/client.js';
import { createServer, redisBroker, type AnywireServer } from '../../src/node/server/index.js';
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
import { client as makeClient, onCleanup } from '../helpers/server.js';

afterAll(() => {
  stopSpawnedCluster();
  return stopSpawnedRedis();
});

const CLIENTS = Number(process.env.ROLLING_CLIENTS ?? 200);
const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];
const reconnect = { minDelay: 50, maxDelay: 500 };
/** Longest a client may be away: the server's retry hint, a full backoff, a connect attempt, slack for a loaded machine. */
const CONNECT_TIMEOUT = 10_000;
const MAX_AWAY_MS = 100 + reconnect.maxDelay + CONNECT_TIMEOUT + 5000;

async function startOne(kind: RedisKind, prefix: string): Promise<{ server: AnywireServer; port: number }> {
  const server = createServer({
    broker: redisBroker({ ...(await redisTarget(kind)), keyPrefix: prefix }),
    secret: TEST_SECRET,
    shutdownRetryAfter: 100,
    history: { size: 10_000, ttl: 300_000 },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return { server, port };
}

/** Tracks how long a client is not connected, each time. */
function awayTimes(c: Client): number[] {
  const away: number[] = [];
  let since: number | undefined;
  c.on('state', (e: { state: string }) => {
    if (e.state === 'connected') {
      if (since !== undefined) away.push(Date.now() - since);
      since = undefined;
    } else since ??= Date.now();
  });
  return away;
}

describe.each(redisKinds)('a rolling restart of three servers on a %s Redis', (kind) => {
  it(`loses, repeats and reorders nothing for ${CLIENTS} clients on four transports`, async () => {
    const prefix = testPrefix();
    onCleanup(() => cleanPrefix(kind, prefix));
    const servers = [await startOne(kind, prefix), await startOne(kind, prefix), await startOne(kind, prefix)];
    onCleanup(() => Promise.all(servers.map((s) => s.server.close())));
    const proxy = await startRoundRobinProxy(...servers.map((s) => s.port));
    onCleanup(() => proxy.close());
    const url = `http://127.0.0.1:${proxy.port}${servers[0]!.server.path}`;

    const clients: { c: Client; transport: TransportName; away: number[]; got: string[]; gaps: number }[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const transport = transports[i % transports.length]!;
      const c = makeClient(url, {
        transports: [transport],
        pollInterval: 100,
        reconnect,
        publishTimeout: 60_000,
        connectTimeout: CONNECT_TIMEOUT,
        autoConnect: false,
      });
      const entry = { c, transport, away: awayTimes(c), got: [] as string[], gaps: 0 };
      const sub = c.subscribe('room', (data) => entry.got.push(data as string));
      sub.on('gap', () => entry.gaps++);
      clients.push(entry);
    }
    // In batches: a start-up herd of hundreds of handshakes is not what this test is about.
    for (let i = 0; i < clients.length; i += 50) await Promise.all(clients.slice(i, i + 50).map((e) => e.c.connect()));
    await Promise.all(clients.map((e) => e.c.subscribe('room').ready));

    // A tenth of the clients publish (every transport among them), one message at a time, each
    // numbering its own.
    const publishers = clients.filter((_, i) => Math.floor(i / transports.length) % 10 === 0);
    const acked: string[][] = publishers.map(() => []);
    /** Publishes that failed (a timeout): stored at most once, maybe not at all. */
    const unsure = new Set<string>();
    let stop = false;
    const loops = publishers.map(async (p, k) => {
      for (let n = 0; !stop; n++) {
        const data = `${k}:${n}`;
        try {
          await p.c.publish('room', data); // retried by the client across reconnects, stored once
          acked[k]!.push(data);
        } catch {
          unsure.add(data);
        }
      }
    });
    const total = () => acked.reduce((a, b) => a + b.length, 0);
    const progress = async (more: number) => {
      const target = total() + more;
      try {
        await vi.waitFor(() => expect(total()).toBeGreaterThanOrEqual(target), { timeout: 60_000, interval: 50 });
      } catch (err) {
        const byTransport = Object.fromEntries(
          transports.map((t) => [t, publishers.map((p, k) => (p.transport === t ? acked[k]!.length : -1)).filter((n) => n >= 0)]),
        );
        throw new Error(
          `publishing stalled: ${JSON.stringify({ byTransport, unsure: unsure.size, states: publishers.map((p) => p.c.state) })}`,
          { cause: err },
        );
      }
    };

    await progress(publishers.length * 3);
    for (let i = 0; i < servers.length; i++) {
      proxy.setTargets(...servers.filter((_, j) => j !== i).map((s) => s.port));
      await servers[i]!.server.close();
      servers[i] = await startOne(kind, prefix);
      proxy.setTargets(...servers.map((s) => s.port));
      await progress(publishers.length * 3);
    }
    stop = true;
    await Promise.all(loops);

    const wanted = acked.flat().length;
    const sure = (got: string[]) => got.filter((d) => !unsure.has(d));
    await vi.waitFor(() => expect(clients.filter((e) => sure(e.got).length < wanted).length).toBe(0), { timeout: 90_000, interval: 200 });
    for (const e of clients) {
      expect(e.gaps).toBe(0);
      expect(sure(e.got)).toHaveLength(wanted);
      expect(new Set(e.got).size).toBe(e.got.length); // nothing twice, the unsure ones included
      // Each publisher's messages in the order it published them.
      for (let k = 0; k < publishers.length; k++) expect(sure(e.got).filter((d) => d.startsWith(`${k}:`))).toEqual(acked[k]);
    }
    const longest = Math.max(0, ...clients.flatMap((e) => e.away));
    expect(longest).toBeLessThan(MAX_AWAY_MS);
    if (process.env.ANYWIRE_DEBUG)
      console.log({
        kind,
        clients: CLIENTS,
        messages: wanted,
        unsure: unsure.size,
        longestAwayMs: longest,
        byTransport: Object.fromEntries(
          transports.map((t) => [
            t,
            clients
              .filter((e) => e.transport === t)
              .flatMap((e) => e.away)
              .sort((a, b) => b - a)
              .slice(0, 5),
          ]),
        ),
        hits: Object.fromEntries(proxy.hits),
      });
  }, 180_000);
});
