// The presence stores on their own (memory, and real Redis): joins and leaves decided once however
// many callers race, connections expiring after their ttl, and lists capped however many members
// a channel has (10,000 here): a join reports one member, never the list.
import { afterAll, describe, expect, it } from 'vitest';
import { redisBroker } from '../../src/node/server/index.js';
import { MemoryPresenceStore, type PresenceConn, type PresenceStore } from '../../src/node/server/presence-store.js';
import { deletePrefix, redisUrl, stopSpawnedRedis, testPrefix } from '../helpers/redis.js';
import { onCleanup } from '../helpers/server.js';

afterAll(() => stopSpawnedRedis());

async function redisStore(): Promise<PresenceStore> {
  const url = await redisUrl();
  const prefix = testPrefix();
  onCleanup(() => deletePrefix(url, prefix));
  const broker = redisBroker({ url, keyPrefix: prefix });
  onCleanup(() => broker.close());
  return broker.presenceStore!();
}

const conn = (member: string, pc: string): PresenceConn => ({ key: `${member}\n${pc}`, member, info: JSON.stringify({ id: member }) });

describe.each([
  ['memory', async () => new MemoryPresenceStore() as PresenceStore],
  ['redis', redisStore],
])('%s presence store', (_name, make) => {
  it('a member joins once however many connections and callers, and leaves once when the last expires', async () => {
    const store = await make();
    const results = await Promise.all([
      store.touch('ch', [conn('ada', 'tab1')], 60_000),
      store.touch('ch', [conn('ada', 'tab2')], 300),
      store.touch('ch', [conn('ada', 'tab1')], 60_000),
    ]);
    expect(results.flat().map((j) => j.member)).toEqual(['ada']);
    expect((await store.list('ch', 10)).members).toEqual([{ member: 'ada', info: '{"id":"ada"}', connections: 2 }]);
    await new Promise((r) => setTimeout(r, 400)); // tab2's ttl of 300 ms runs out
    const sweeps = await Promise.all([store.expire('ch', 100), store.expire('ch', 100)]);
    expect(sweeps.flat()).toEqual([]); // tab1 still holds ada
    expect((await store.list('ch', 10)).members[0]!.connections).toBe(1);
    await store.touch('ch', [conn('ada', 'tab1')], 1);
    await new Promise((r) => setTimeout(r, 20));
    const last = await Promise.all([store.expire('ch', 100), store.expire('ch', 100), store.expire('ch', 100)]);
    expect(last.flat().map((l) => l.member)).toEqual(['ada']);
    expect(await store.list('ch', 10)).toEqual({ members: [], total: 0 });
  });

  it('10,000 members: a list is capped, a join reports one member', async () => {
    const store = await make();
    for (let i = 0; i < 10_000; i += 500) {
      const batch = Array.from({ length: 500 }, (_, j) => conn(`m${i + j}`, 'p'));
      expect(await store.touch('big', batch, 60_000)).toHaveLength(500);
    }
    const list = await store.list('big', 1000);
    expect(list.total).toBe(10_000);
    expect(list.members).toHaveLength(1000);
    expect(new Set(list.members.map((m) => m.member)).size).toBe(1000);
    expect(await store.touch('big', [conn('newcomer', 'p')], 60_000)).toEqual([{ member: 'newcomer', info: '{"id":"newcomer"}' }]);
    expect((await store.list('big', 20_000)).members).toHaveLength(10_001);
  });
});

describe('presence options', () => {
  it('refuses a bad presence or presenceGrace at createServer', async () => {
    const { createServer } = await import('../../src/node/server/index.js');
    expect(() => createServer({ presence: 'yes' as never })).toThrow(/presence/);
    expect(() => createServer({ presence: true, presenceGrace: 0 })).toThrow(/presenceGrace/);
    expect(() => createServer({ presence: true, presenceGrace: Number.NaN })).toThrow(/presenceGrace/);
  });
});
