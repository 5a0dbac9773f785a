// A slot moved to another primary mid-run (resharding: SETSLOT IMPORTING/MIGRATING, MIGRATE,
// SETSLOT NODE) loses nothing and reports no gap. Then a Redis Cluster primary killed mid-run
// (SIGKILL, no persistence): its replica is promoted, and two anywire servers on the cluster carry on. Clients on WebSocket and long polling subscribe to
// channels on every shard while others publish; each subscriber gets every acknowledged message
// exactly once and in order, or a `gap` event where the cluster lost history — never a silent
// loss, never a duplicate. Runs on a cluster of its own (it kills one of its nodes).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cluster } from 'ioredis';
import type { TransportName } from '../../src/adapters/types.js';
import type { Client } from '../../src/core/client.js';
import { redisBroker } from '../../src/node/server/index.js';
import { keySlot } from '../../src/node/server/brokers/redis-bus.js';
import { killNode, startOwnCluster, stopCluster, TEST_SECRET, testPrefix, type ClusterState } from '../helpers/redis.js';
import { client as makeClient, startServer } from '../helpers/server.js';

let state: ClusterState;
beforeAll(async () => {
  state = await startOwnCluster();
}, 60_000);
afterAll(() => stopCluster(state));

/** The port of the primary that owns `key`'s slot now. */
async function ownerOf(key: string): Promise<number> {
  const c = new Cluster(state.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
  c.on('error', () => {});
  try {
    await new Promise<void>((resolve) => c.once('ready', () => resolve()));
    return Number(c.slots[keySlot(key)]![0]!.split(':')[1]);
  } finally {
    c.disconnect();
  }
}

function cli(port: number, ...args: (string | number)[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args.map(String)], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || /^(ERR|MOVED|ASK)/m.test(r.stdout)) throw new Error(`redis-cli ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** Moves `slot` from primary `from` to primary `to`, keys included, as `redis-cli --cluster reshard` does. */
function moveSlot(slot: number, from: number, to: number, primaries: number[]): void {
  const fromId = cli(from, 'cluster', 'myid');
  const toId = cli(to, 'cluster', 'myid');
  cli(to, 'cluster', 'setslot', slot, 'importing', fromId);
  cli(from, 'cluster', 'setslot', slot, 'migrating', toId);
  for (;;) {
    const keys = cli(from, 'cluster', 'getkeysinslot', slot, 100).split('\n').filter(Boolean);
    if (keys.length === 0) break;
    cli(from, 'migrate', '127.0.0.1', to, '', 0, 5000, 'KEYS', ...keys);
  }
  for (const p of [to, from, ...primaries.filter((p) => p !== to && p !== from)]) cli(p, 'cluster', 'setslot', slot, 'node', toId);
}

interface Seen {
  data: string[];
  offsets: number[];
  gaps: number;
}

function watch(c: Client, channel: string): Seen & { ready: Promise<void> } {
  const seen: Seen = { data: [], offsets: [], gaps: 0 };
  const sub = c.subscribe(channel, (data, meta) => {
    seen.data.push(data as string);
    seen.offsets.push(meta.offset);
  });
  sub.on('gap', () => seen.gaps++);
  return Object.assign(seen, { ready: sub.ready.then(() => {}) });
}

describe('a Redis Cluster slot moved to another primary mid-run', () => {
  it('keeps every subscriber complete, in order, without a gap, and publishes carry on', async () => {
    const prefix = testPrefix();
    const servers = [];
    for (let i = 0; i < 2; i++)
      servers.push(await startServer({ broker: redisBroker({ cluster: state.urls, keyPrefix: prefix }), secret: TEST_SECRET }));
    const options = (t: TransportName) => ({ transports: [t], pollInterval: 50, reconnect: { minDelay: 20, maxDelay: 300 } });
    const subscribers = servers.flatMap((s) =>
      (['websocket', 'long-polling'] as TransportName[]).map((t) => makeClient(s.url, options(t))),
    );
    const views = subscribers.map((c) => watch(c, 'm'));
    await Promise.all(subscribers.map((c) => c.connect()));
    await Promise.all(views.map((w) => w.ready));
    const publisher = makeClient(servers[1]!.url, options('websocket'));
    await publisher.connect();

    const slot = keySlot(`${prefix}{m}:live`);
    const from = await ownerOf(`${prefix}{m}:live`);
    const ports = state.nodes.map((n) => n.port);
    const masters = ports.filter((p) => cli(p, 'role').startsWith('master'));
    const to = masters.find((p) => p !== from)!;
    const acked: string[] = [];
    const rejected = new Set<string>();
    for (let i = 0; i < 40; i++) {
      if (i === 15) moveSlot(slot, from, to, masters);
      const data = `m-${i}`;
      try {
        await publisher.publish('m', data);
        acked.push(data);
      } catch {
        rejected.add(data); // TRYAGAIN while the channel's keys were split between the two nodes
      }
    }
    expect(await ownerOf(`${prefix}{m}:live`)).toBe(to);
    expect(acked.length).toBeGreaterThan(30);
    for (const w of views) {
      await vi.waitFor(() => expect(w.data.filter((d) => !rejected.has(d))).toEqual(acked), { timeout: 20_000 });
      expect(new Set(w.data).size).toBe(w.data.length);
      expect(w.gaps).toBe(0);
    }
    // Live fan-out continues from the new owner.
    await publisher.publish('m', 'after');
    for (const w of views) await vi.waitFor(() => expect(w.data.at(-1)).toBe('after'));
  }, 120_000);
});

describe('a Redis Cluster primary killed mid-run', () => {
  it('loses nothing silently and duplicates nothing: every subscriber gets every acknowledged message, or a gap', async () => {
    const prefix = testPrefix();
    const urls = state.urls;
    const servers = [];
    for (let i = 0; i < 2; i++)
      servers.push(await startServer({ broker: redisBroker({ cluster: urls, keyPrefix: prefix }), secret: TEST_SECRET }));
    const channels = ['a', 'b', 'c', 'd', 'e', 'f'];
    const transports: TransportName[] = ['websocket', 'long-polling'];
    const options = (t: TransportName) => ({ transports: [t], pollInterval: 50, reconnect: { minDelay: 20, maxDelay: 300 } });
    const subscribers = servers.flatMap((s) => transports.map((t) => makeClient(s.url, options(t))));
    const views = subscribers.map((c) => new Map(channels.map((ch) => [ch, watch(c, ch)])));
    await Promise.all(subscribers.map((c) => c.connect()));
    await Promise.all(views.flatMap((v) => [...v.values()].map((w) => w.ready)));
    const publisher = makeClient(servers[0]!.url, options('websocket'));
    await publisher.connect();

    const owners = new Map<string, number>();
    for (const ch of channels) owners.set(ch, await ownerOf(`${prefix}{${ch}}:live`));
    const victim = owners.get('a')!;
    const acked = new Map<string, string[]>(channels.map((ch) => [ch, []]));
    const rejected = new Set<string>();
    let killed = false;
    const rounds = 60;
    for (let i = 0; i < rounds; i++) {
      if (i === 20) {
        killNode(state, victim);
        killed = true;
      }
      await Promise.all(
        channels.map(async (ch) => {
          const data = `${ch}-${i}`;
          try {
            await publisher.publish(ch, data);
            acked.get(ch)!.push(data);
          } catch {
            rejected.add(data); // the shard was failing over: the application would retry
          }
        }),
      );
      // While the shard fails over, publishes to it fail fast: wait for it before going on.
      if (killed && i === 20) {
        await vi.waitFor(
          async () => {
            const data = `a-probe`;
            await publisher.publish('a', data);
            acked.get('a')!.push(data);
          },
          { timeout: 30_000, interval: 200 },
        );
      }
    }
    expect(acked.get('a')!.length).toBeGreaterThan(rounds / 2);
    if (process.env.ANYWIRE_DEBUG) {
      const owner = await ownerOf(`${prefix}{a}:live`);
      console.log({ owner, meta: cli(owner, 'hgetall', `${prefix}{a}:m`), info: cli(owner, 'info', 'replication') });
      console.log(views.map((v) => v.get('a')!.data.length));
    }

    for (const v of views) {
      for (const ch of channels) {
        const w = v.get(ch)!;
        const want = acked.get(ch)!;
        // Exactly once, in order: offsets strictly increase within an epoch run, data never repeats.
        expect(new Set(w.data).size).toBe(w.data.length);
        if (w.gaps === 0) {
          await vi.waitFor(() => expect(w.data.filter((d) => !rejected.has(d))).toEqual(want), { timeout: 20_000 });
        } else {
          // A gap was reported: what arrived is still in publish order, after the gap too.
          await vi.waitFor(() => expect(w.data.at(-1)).toBe(want.at(-1)), { timeout: 20_000 });
          const order = w.data.filter((d) => !rejected.has(d)).map((d) => want.indexOf(d));
          expect(order).toEqual([...order].sort((x, y) => x - y));
        }
      }
    }
    // Channels on the shards that kept their primary lost nothing at all: no gap there.
    for (const ch of channels) {
      if (owners.get(ch) === victim) continue;
      for (const v of views) expect(v.get(ch)!.gaps).toBe(0);
    }
    if (process.env.ANYWIRE_DEBUG) {
      const gaps = views.map((v) => channels.map((ch) => `${ch}:${v.get(ch)!.gaps}`).join(' '));
      console.log({ victim, owners, rejected: rejected.size, gaps });
    }
  }, 150_000);
});
