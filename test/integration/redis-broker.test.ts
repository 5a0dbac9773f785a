// The Redis broker against a real Redis, and the same suite against a real local Redis Cluster
// (3 primaries + 3 replicas): offsets, de-duplication per publisher, history in pages, trimming,
// epochs, binary payloads, fan-out order, signals, and nothing written for unpublished channels.
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { memoryBroker, redisBroker } from '../../src/node/server/index.js';
import type { BrokerMessage, RedisBrokerOptions } from '../../src/node/server/index.js';
import {
  deleteClusterPrefix,
  deletePrefix,
  redisClusterUrls,
  redisUrl,
  stopSpawnedCluster,
  stopSpawnedRedis,
  testPrefix,
} from '../helpers/redis.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const history = { size: 100, ttl: 60_000 };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
afterAll(() => {
  stopSpawnedCluster();
  return stopSpawnedRedis();
});

/** Where the suite runs: one Redis, or the cluster. */
interface Target {
  options(): Promise<RedisBrokerOptions>;
  clean(prefix: string): Promise<void>;
  /** A plain connection for looking at keys and subscriptions (every primary on a cluster). */
  inspect(): Promise<{ keys(prefix: string): Promise<string[]>; numsub(channel: string): Promise<number> }>;
}

const single: Target = {
  options: async () => ({ url: await redisUrl() }),
  clean: async (prefix) => deletePrefix(await redisUrl(), prefix),
  async inspect() {
    const r = new Redis(await redisUrl());
    cleanups.push(async () => r.disconnect());
    return {
      keys: (prefix) => r.keys(`${prefix}*`),
      numsub: async (ch) => ((await r.pubsub('NUMSUB', ch)) as [string, number])[1],
    };
  },
};

const cluster: Target = {
  options: async () => ({ cluster: await redisClusterUrls() }),
  clean: async (prefix) => deleteClusterPrefix(await redisClusterUrls(), prefix),
  async inspect() {
    const urls = await redisClusterUrls();
    const c = new Cluster(urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })));
    cleanups.push(async () => c.disconnect());
    await new Promise<void>((resolve) => (c.status === 'ready' ? resolve() : c.once('ready', () => resolve())));
    const masters = () => c.nodes('master');
    return {
      keys: async (prefix) => (await Promise.all(masters().map((n) => n.keys(`${prefix}*`)))).flat(),
      numsub: async (ch) => {
        const counts = await Promise.all(masters().map(async (n) => ((await n.call('PUBSUB', 'SHARDNUMSUB', ch)) as [string, number])[1]));
        return counts.reduce((a, b) => a + Number(b), 0);
      },
    };
  },
};

const targets = [
  ['single Redis', single],
  ['Redis Cluster', cluster],
] as const;

async function setupOn(target: Target, prefix = testPrefix(), extra: Partial<RedisBrokerOptions> = {}) {
  const broker = redisBroker({ ...(await target.options()), keyPrefix: prefix, ...extra });
  cleanups.push(() => target.clean(prefix));
  cleanups.push(() => broker.close());
  return { broker, prefix };
}

async function setup(prefix = testPrefix()) {
  const url = await redisUrl();
  const { broker } = await setupOn(single, prefix);
  return { broker, url, prefix };
}

/** Two brokers on one prefix: `far` reaches Redis through a TCP proxy that can cut it off. */
async function farAndNear() {
  const { url, prefix } = await setup();
  const proxy = await startTcpProxy(Number(new URL(url).port || 6379));
  cleanups.push(() => proxy.close());
  const far = redisBroker({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: prefix });
  cleanups.push(() => far.close());
  const { broker: near } = await setup(prefix);
  return { url, prefix, proxy, far, near };
}

describe.each(targets)('redisBroker on a %s', (_name, target) => {
  const setup = (prefix?: string, extra?: Partial<RedisBrokerOptions>) => setupOn(target, prefix, extra);

  it('hands out offsets from 1, strictly increasing, with one epoch', async () => {
    const { broker } = await setup();
    const acks = [];
    for (let i = 0; i < 20; i++) acks.push(await broker.publish('ch', JSON.stringify(i), { history }));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(acks.map((a) => a.epoch)).size).toBe(1);
    expect(broker.healthy).toBe(true);
  });

  it('stores a publish retried with the same id once and returns the original offset', async () => {
    const { broker, prefix } = await setup();
    const first = await broker.publish('ch', '"a"', { id: 'p1', history });
    await broker.publish('ch', '"b"', { history });
    const again = await broker.publish('ch', '"a"', { id: 'p1', history });
    expect(again).toEqual(first);
    // A retry that lands on another server (the client reconnected elsewhere) is stored once too.
    const { broker: other } = await setup(prefix);
    expect(await other.publish('ch', '"a"', { id: 'p1', history })).toEqual(first);
    const h = await broker.history('ch', { epoch: first.epoch, offset: 0 });
    expect(h.messages.map((m) => m.payload)).toEqual(['"a"', '"b"']);
    expect(h.top).toBe(2);
  });

  it('serves history after an offset, and where a channel stands without one', async () => {
    const { broker } = await setup();
    const empty = await broker.history('fresh');
    expect(empty).toMatchObject({ top: 0, messages: [] });
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = (await broker.publish('fresh', `{"n":${i}}`, { history })).epoch;
    // Whoever looked before the first publish has seen nothing: served from offset 1, no gap.
    const before = await broker.history('fresh', { epoch: empty.epoch, offset: 0 });
    expect(before.gap).toBeUndefined();
    expect(before.messages.map((m) => m.offset)).toEqual([1, 2, 3, 4, 5]);
    const h = await broker.history('fresh', { epoch, offset: 2 });
    expect(h.gap).toBeUndefined();
    expect(h.messages.map((m) => [m.offset, m.payload])).toEqual([
      [3, '{"n":3}'],
      [4, '{"n":4}'],
      [5, '{"n":5}'],
    ]);
    expect(h.messages.every((m) => m.channel === 'fresh' && m.epoch === epoch)).toBe(true);
    expect(await broker.history('fresh', { epoch, offset: 5 })).toMatchObject({ top: 5, messages: [] });
    expect((await broker.history('fresh', { epoch, offset: 9 })).gap).toBe('history-lost');
    expect((await broker.history('fresh', { epoch: 'other', offset: 2 })).gap).toBe('history-lost');
  });

  it('reports history-trimmed past the size cap and after the ttl', async () => {
    const { broker } = await setup();
    let epoch = '';
    for (let i = 1; i <= 10; i++) epoch = (await broker.publish('small', String(i), { history: { size: 3, ttl: 60_000 } })).epoch;
    expect((await broker.history('small', { epoch, offset: 6 })).gap).toBe('history-trimmed');
    const kept = await broker.history('small', { epoch, offset: 7 });
    expect(kept.messages.map((m) => m.offset)).toEqual([8, 9, 10]);

    // ttl: 1 ms — by the time the next publish runs, the earlier ones have aged out.
    const first = await broker.publish('brief', '1', { history: { size: 100, ttl: 1 } });
    await vi.waitFor(async () => {
      await broker.publish('brief', '2', { history: { size: 100, ttl: 1 } });
      expect((await broker.history('brief', { epoch: first.epoch, offset: 0 })).gap).toBe('history-trimmed');
    });
  });

  it('gives a channel a new epoch when its keys are lost (a flushed Redis)', async () => {
    const { broker, prefix } = await setup();
    const a = await broker.publish('ch', '1', { history });
    await broker.publish('ch', '2', { history });
    await target.clean(prefix);
    const b = await broker.publish('ch', '3', { history });
    expect(b.epoch).not.toBe(a.epoch);
    expect(b.offset).toBe(1);
    const h = await broker.history('ch', { epoch: a.epoch, offset: 2 });
    expect(h).toMatchObject({ epoch: b.epoch, top: 1, messages: [], gap: 'history-lost' });
  });

  it('round-trips binary payloads byte for byte, live and from history', async () => {
    const { broker } = await setup();
    const bytes = new Uint8Array(256).map((_, i) => i);
    const got: BrokerMessage[] = [];
    await broker.subscribe('bin', (m) => got.push(m));
    const { epoch } = await broker.publish('bin', bytes, { history });
    await broker.publish('bin', '{"text":"ünïcødé ✓"}', { history });
    await vi.waitFor(() => expect(got).toHaveLength(2));
    expect(got[0]!.payload).toBeInstanceOf(Uint8Array);
    expect(Array.from(got[0]!.payload as Uint8Array)).toEqual(Array.from(bytes));
    expect(got[1]!.payload).toBe('{"text":"ünïcødé ✓"}');
    const h = await broker.history('bin', { epoch, offset: 0 });
    expect(Array.from(h.messages[0]!.payload as Uint8Array)).toEqual(Array.from(bytes));
    expect(h.messages[1]!.payload).toBe('{"text":"ünïcødé ✓"}');
  });

  it('fans out across brokers in offset order, with one SUBSCRIBE per channel per broker', async () => {
    const { broker: a, prefix } = await setup();
    const { broker: b } = await setup(prefix);
    const seen = { a1: [] as number[], a2: [] as number[], b1: [] as number[] };
    const a1 = (m: BrokerMessage) => seen.a1.push(m.offset);
    await a.subscribe('order', a1);
    await a.subscribe('order', (m) => seen.a2.push(m.offset));
    await b.subscribe('order', (m) => seen.b1.push(m.offset));
    const pubs = [];
    for (let i = 0; i < 100; i++) pubs.push((i % 2 ? a : b).publish('order', String(i), { history }));
    await Promise.all(pubs);
    const all = Array.from({ length: 100 }, (_, i) => i + 1);
    await vi.waitFor(() => expect(seen).toEqual({ a1: all, a2: all, b1: all }));
    const redis = await target.inspect();
    expect(await redis.numsub(`${prefix}{order}:live`)).toBe(2);
    await a.unsubscribe('order', a1);
    await a.publish('order', '"after"', { history });
    await vi.waitFor(() => expect(seen.a2).toHaveLength(101));
    expect(seen.a1).toHaveLength(100);
  });

  it('shares concurrent identical history reads', async () => {
    const { broker } = await setup();
    const { epoch } = await broker.publish('storm', '1', { history });
    await broker.publish('storm', '2', { history });
    const reads = await Promise.all(Array.from({ length: 50 }, () => broker.history('storm', { epoch, offset: 0 })));
    // One round trip served all: they share one result object.
    expect(new Set(reads).size).toBe(1);
    expect(reads[0]!.messages).toHaveLength(2);
  });

  it('never keeps a session-signing secret in Redis (issue 13)', async () => {
    const { broker, prefix } = await setup();
    expect('sharedSecret' in broker).toBe(false);
    await broker.publish('ch', '1', { history });
    const keys = await (await target.inspect()).keys(prefix);
    expect(keys.sort()).toEqual([`${prefix}{ch}:m`, `${prefix}{ch}:s`]);
  });

  it('de-duplicates publish ids per publisher: another publisher reusing an id is stored (issue 13)', async () => {
    const { broker } = await setup();
    const victim = await broker.publish('ch', '"victim"', { id: 'id-1', publisher: 'alice', history });
    const attacker = await broker.publish('ch', '"attacker"', { id: 'id-1', publisher: 'mallory', history });
    expect(attacker.offset).not.toBe(victim.offset);
    // alice's own retry is still recognised.
    expect(await broker.publish('ch', '"victim"', { id: 'id-1', publisher: 'alice', history })).toEqual(victim);
    const h = await broker.history('ch', { epoch: victim.epoch, offset: 0 });
    expect(h.messages.map((m) => m.payload)).toEqual(['"victim"', '"attacker"']);
  });

  it('reads history in pages of historyPage, never the whole stream at once (issue 13)', async () => {
    const { broker } = await setup(undefined, { historyPage: 10 });
    let epoch = '';
    for (let i = 1; i <= 35; i++) epoch = (await broker.publish('long', String(i), { history })).epoch;
    const first = await broker.history('long', { epoch, offset: 0 });
    expect(first.top).toBe(35);
    expect(first.messages.map((m) => m.offset)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const limited = await broker.history('long', { epoch, offset: 10 }, { limit: 3 });
    expect(limited.messages.map((m) => m.offset)).toEqual([11, 12, 13]);
  });

  it('hands signals to every broker on the prefix and stores nothing', async () => {
    const { broker: a, prefix } = await setup();
    const { broker: b } = await setup(prefix);
    const got: string[] = [];
    await b.onSignal!('t', (d) => got.push(d));
    await a.onSignal!('t', (d) => got.push('self:' + d));
    a.signal!('t', 'hi');
    await vi.waitFor(() => expect(got.sort()).toEqual(['hi', 'self:hi']));
    expect(await (await target.inspect()).keys(prefix)).toEqual([]);
  });

  it('writes no key for a channel that is only read or subscribed, and delivers its first publish without a gap (issue 13)', async () => {
    const { broker, prefix } = await setup();
    const { broker: b } = await setup(prefix);
    const got: number[] = [];
    await broker.history('quiet');
    await broker.history('quiet', { epoch: 'whatever', offset: 0 });
    await broker.subscribe('quiet', (m) => got.push(m.offset));
    await b.subscribe('quiet', () => {});
    const redis = await target.inspect();
    expect(await redis.keys(prefix)).toEqual([]);
    await b.publish('quiet', '1', { history });
    await b.publish('quiet', '2', { history });
    await vi.waitFor(() => expect(got).toEqual([1, 2]));
  });

  it('keeps a channel subscribed for unsubscribeDelay after its last listener left, then lets go', async () => {
    const { broker, prefix } = await setup(undefined, { unsubscribeDelay: 200 });
    const redis = await target.inspect();
    const live = `${prefix}{linger}:live`;
    const numsub = () => redis.numsub(live);
    const first = () => {};
    await broker.subscribe('linger', first);
    await broker.unsubscribe('linger', first);
    const got: number[] = [];
    const second = (m: BrokerMessage) => got.push(m.offset);
    await broker.subscribe('linger', second); // within the delay: the same subscription
    await broker.publish('linger', '1', { history });
    await vi.waitFor(() => expect(got).toEqual([1]));
    expect(await numsub()).toBe(1);
    await broker.unsubscribe('linger', second);
    await vi.waitFor(async () => expect(await numsub()).toBe(0));
    await broker.publish('linger', '2', { history });
    expect(got).toEqual([1]);
  });
});

describe('redisBroker on a single Redis, through a proxy that cuts it off', () => {
  it('fills from history what a broker missed while its connections were down, in order', async () => {
    const { url, proxy, far, near } = await farAndNear();
    const got: number[] = [];
    await far.subscribe('hole', (m) => got.push(m.offset));
    for (let i = 0; i < 3; i++) await near.publish('hole', String(i), { history });
    await vi.waitFor(() => expect(got).toEqual([1, 2, 3]));

    // The far broker loses Redis; meanwhile the near one keeps publishing.
    proxy.setTargets();
    proxy.cutAll();
    await vi.waitFor(() => expect(far.healthy).toBe(false));
    await expect(far.publish('hole', '"x"', { history })).rejects.toThrow();
    for (let i = 3; i < 10; i++) await near.publish('hole', String(i), { history });
    proxy.setTargets(Number(new URL(url).port || 6379));
    await vi.waitFor(() => expect(far.healthy).toBe(true), { timeout: 15_000 });
    await vi.waitFor(() => expect(got).toEqual(Array.from({ length: 10 }, (_, i) => i + 1)));
    await near.publish('hole', '10', { history });
    await vi.waitFor(() => expect(got).toHaveLength(11));
    expect(got.at(-1)).toBe(11);
  });

  it('hands signals to every broker on the prefix, stores nothing, and listens again after a reconnection', async () => {
    const { url, prefix, proxy, far, near } = await farAndNear();
    const { broker: stranger } = await setup(); // another prefix: another deployment
    const farGot: string[] = [];
    const nearGot: string[] = [];
    const strangerGot: string[] = [];
    await far.onSignal!('t', (d) => farGot.push(d));
    await near.onSignal!('t', (d) => nearGot.push(d));
    await near.onSignal!('other', (d) => nearGot.push('other:' + d));
    await stranger.onSignal!('t', (d) => strangerGot.push(d));
    near.signal!('t', 'a b');
    await vi.waitFor(() => expect(farGot).toEqual(['a b']));
    await vi.waitFor(() => expect(nearGot).toEqual(['a b'])); // the sender's own listeners too
    // A signal is not a publish: no channel, no history, no key.
    const r = new Redis(url);
    cleanups.push(async () => r.disconnect());
    expect(await r.keys(`${prefix}*`)).toEqual([]);

    // The far broker's connections drop and come back: it listens again by itself.
    proxy.cutAll();
    await vi.waitFor(() => expect(far.healthy).toBe(false));
    await vi.waitFor(() => expect(far.healthy).toBe(true), { timeout: 15_000 });
    await vi.waitFor(
      () => {
        near.signal!('t', 'again'); // fire and forget: sent until the far side is listening again
        expect(farGot).toContain('again');
      },
      { timeout: 10_000 },
    );
    expect(strangerGot).toEqual([]);
    expect(nearGot.filter((d) => d.startsWith('other:'))).toEqual([]);
  });

  it('works on a client the application owns, and leaves it open on close()', async () => {
    const url = await redisUrl();
    const prefix = testPrefix();
    cleanups.push(() => deletePrefix(url, prefix));
    const own = new Redis(url, { enableOfflineQueue: false });
    cleanups.push(async () => own.disconnect());
    await new Promise<void>((resolve) => own.once('ready', () => resolve()));
    const broker = redisBroker({ client: own, keyPrefix: prefix });
    const got: BrokerMessage[] = [];
    await broker.subscribe('mine', (m) => got.push(m));
    expect((await broker.publish('mine', '1', { history })).offset).toBe(1);
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(await own.exists(`${prefix}{mine}:m`, `${prefix}{mine}:s`)).toBe(2);
    await broker.close();
    expect(broker.healthy).toBe(false);
    expect(await own.ping()).toBe('PONG');
  });
});

describe('memoryBroker de-duplication (issue 13)', () => {
  it('scopes publish ids per publisher', async () => {
    const broker = memoryBroker();
    cleanups.push(() => broker.close());
    const victim = await broker.publish('ch', '"victim"', { id: 'id-1', publisher: 'alice', history });
    const attacker = await broker.publish('ch', '"attacker"', { id: 'id-1', publisher: 'mallory', history });
    expect(attacker.offset).toBe(victim.offset + 1);
    expect(await broker.publish('ch', '"victim"', { id: 'id-1', publisher: 'alice', history })).toEqual(victim);
  });
});
