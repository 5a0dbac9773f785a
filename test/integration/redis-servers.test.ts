// Several anywire servers on one real Redis behave, to every client, like one server: messages
// cross between them in one order, offsets stay unique under concurrent publishers, and clients
// whose server goes away recover everything on another one.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/core/client.js';
import { redisBroker, type ServerOptions } from '../../src/node/server/index.js';
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
import { startTcpProxy } from '../helpers/tcp-proxy.js';

afterAll(() => {
  stopSpawnedCluster();
  return stopSpawnedRedis();
});

const fast = { reconnect: { minDelay: 20, maxDelay: 200 } } as const;

/** A server on the shared Redis under `prefix`. */
async function redisServer(kind: RedisKind, prefix: string, options: ServerOptions = {}) {
  const target = await redisTarget(kind);
  return startServer({ broker: redisBroker({ ...target, keyPrefix: prefix }), secret: TEST_SECRET, shutdownRetryAfter: 20, ...options });
}

async function cluster(kind: RedisKind, n: number) {
  const prefix = testPrefix();
  onCleanup(() => cleanPrefix(kind, prefix));
  const servers = [];
  for (let i = 0; i < n; i++) servers.push(await redisServer(kind, prefix));
  return { prefix, servers };
}

/** Every message a client receives on a channel, with its offset. */
function collect(c: Client, channel: string) {
  const got: { data: unknown; offset: number }[] = [];
  const sub = c.subscribe(channel, (data, meta) => got.push({ data, offset: meta.offset }));
  return { got, sub, offsets: () => got.map((m) => m.offset), data: () => got.map((m) => m.data) };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe.each(redisKinds)('several servers on one %s Redis', (kind) => {
  it('carries messages both ways between two servers, in the same order for everyone', async () => {
    const { servers } = await cluster(kind, 2);
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const clients = [a.url, a.url, b.url, b.url].map((u) => makeClient(u, fast));
    await Promise.all(clients.map((c) => c.connect()));
    const subs = clients.map((c) => collect(c, 'room'));
    await Promise.all(subs.map((s) => s.sub.ready));

    // Clients on both servers publish at the same time, interleaved.
    const pubs = [];
    for (let i = 0; i < 50; i++) {
      pubs.push(clients[0]!.publish('room', { from: 'a', i }));
      pubs.push(clients[2]!.publish('room', { from: 'b', i }));
    }
    await Promise.all(pubs);
    for (const s of subs) await vi.waitFor(() => expect(s.got).toHaveLength(100));
    const reference = subs[0]!.got;
    expect(reference.map((m) => m.offset)).toEqual(range(1, 100));
    for (const s of subs) expect(s.got).toEqual(reference);
    // Each publisher's own messages keep their order.
    const fromA = reference.filter((m) => (m.data as { from: string }).from === 'a').map((m) => (m.data as { i: number }).i);
    expect(fromA).toEqual(range(0, 49));
  });

  it('gives concurrent publishers on both servers unique, gap-free offsets', async () => {
    const { servers } = await cluster(kind, 2);
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const pa = makeClient(a.url, fast);
    const pb = makeClient(b.url, fast);
    const watcher = makeClient(b.url, fast);
    await Promise.all([pa.connect(), pb.connect(), watcher.connect()]);
    const seen = collect(watcher, 'counter');
    await seen.sub.ready;
    const acks = await Promise.all([
      ...range(1, 500).map((i) => pa.publish('counter', i)),
      ...range(1, 500).map((i) => pb.publish('counter', -i)),
    ]);
    expect(acks.map((r) => r.offset).sort((x, y) => x - y)).toEqual(range(1, 1000));
    await vi.waitFor(() => expect(seen.got).toHaveLength(1000));
    expect(seen.offsets()).toEqual(range(1, 1000));
  });

  it('lets clients whose server went away recover every missed message on another server', async () => {
    const { prefix, servers } = await cluster(kind, 2);
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const proxy = await startTcpProxy(a.port);
    onCleanup(() => proxy.close());
    const viaProxy = `http://127.0.0.1:${proxy.port}${a.server.path}`;
    const clients = [
      makeClient(viaProxy, { ...fast, transports: ['websocket'] }),
      makeClient(viaProxy, { ...fast, transports: ['websocket'] }),
    ];
    await Promise.all(clients.map((c) => c.connect()));
    const subs = clients.map((c) => collect(c, 'feed'));
    await Promise.all(subs.map((s) => s.sub.ready));
    expect(a.server.connectionCount).toBe(2);

    for (let i = 1; i <= 5; i++) await b.server.publish('feed', { n: i });
    for (const s of subs) await vi.waitFor(() => expect(s.got).toHaveLength(5));

    // Server A goes down; while its clients are away (nothing behind the proxy), B publishes.
    proxy.setTargets();
    const resumed = subs.map((s) => new Promise<boolean>((resolve) => s.sub.on('subscribed', (e) => resolve(e.resumed))));
    await a.server.close();
    await Promise.all(clients.map((c) => waitForState(c, 'reconnecting')));
    for (let i = 6; i <= 25; i++) await b.server.publish('feed', { n: i });

    // A comes back as a new process; the clients land on B and recover from Redis.
    const a2 = await redisServer(kind, prefix);
    proxy.setTargets(b.port);
    await Promise.all(clients.map((c) => waitForState(c, 'connected')));
    expect(await Promise.all(resumed)).toEqual([true, true]);
    for (let i = 26; i <= 30; i++) await a2.server.publish('feed', { n: i });
    for (const s of subs) {
      await vi.waitFor(() => expect(s.got).toHaveLength(30));
      expect(s.offsets()).toEqual(range(1, 30));
      expect(s.data()).toEqual(range(1, 30).map((n) => ({ n })));
    }
    expect(b.server.connectionCount).toBe(2);
  });

  it('resumes a client past several history pages (historyPage 10): nothing waits for the next publish', async () => {
    const prefix = testPrefix();
    onCleanup(() => cleanPrefix(kind, prefix));
    const target = await redisTarget(kind);
    const s = await startServer({
      broker: redisBroker({ ...target, keyPrefix: prefix, historyPage: 10 }),
      secret: TEST_SECRET,
      shutdownRetryAfter: 20,
    });
    const proxy = await startTcpProxy(s.port);
    onCleanup(() => proxy.close());
    const c = makeClient(`http://127.0.0.1:${proxy.port}${s.server.path}`, { ...fast, transports: ['websocket'] });
    await c.connect();
    const sub = collect(c, 'pages');
    await sub.sub.ready;
    await s.server.publish('pages', { n: 1 });
    await vi.waitFor(() => expect(sub.got).toHaveLength(1));
    proxy.setTargets();
    proxy.cutAll();
    await waitForState(c, 'reconnecting');
    for (let i = 2; i <= 35; i++) await s.server.publish('pages', { n: i });
    proxy.setTargets(s.port);
    await vi.waitFor(() => expect(sub.offsets()).toEqual(range(1, 35)), { timeout: 20_000 });
  });

  it('survives a reconnect storm: every client resumes on the other server, exactly once and in order, while it publishes', async () => {
    const { servers } = await cluster(kind, 2);
    const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
    const proxy = await startTcpProxy(a.port);
    onCleanup(() => proxy.close());
    const viaProxy = `http://127.0.0.1:${proxy.port}${a.server.path}`;
    const clients = Array.from({ length: 60 }, () => makeClient(viaProxy, { ...fast, transports: ['websocket'] }));
    await Promise.all(clients.map((c) => c.connect()));
    const subs = clients.map((c) => collect(c, 'storm'));
    await Promise.all(subs.map((s) => s.sub.ready));
    for (let i = 1; i <= 10; i++) await b.server.publish('storm', i);

    // Everyone moves to B at once while B keeps publishing.
    proxy.setTargets(b.port);
    const publishing = (async () => {
      for (let i = 11; i <= 40; i++) await b.server.publish('storm', i);
    })();
    await a.server.close();
    await publishing;
    await Promise.all(clients.map((c) => waitForState(c, 'connected')));
    for (const s of subs) {
      await vi.waitFor(() => expect(s.got.length).toBeGreaterThanOrEqual(40));
      expect(s.offsets()).toEqual(range(1, 40));
      expect(s.data()).toEqual(range(1, 40));
    }
    expect(b.server.connectionCount).toBe(60);
  });
});
