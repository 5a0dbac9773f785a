// History pages (`client.history`, `server.history`) on every transport and on both brokers:
// limit, paging back with `before`, an empty channel, a trimmed history, a forbidden channel.
import { afterAll, describe, expect, it } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import { AnywireError } from '../../src/node/index.js';
import { memoryBroker, redisBroker, type Broker, type ServerOptions } from '../../src/node/server/index.js';
import { deletePrefix, redisUrl, stopSpawnedRedis, testPrefix } from '../helpers/redis.js';
import { client, onCleanup, startServer } from '../helpers/server.js';

afterAll(() => stopSpawnedRedis());

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function redis(): Promise<Broker> {
  const url = await redisUrl();
  const prefix = testPrefix();
  onCleanup(() => deletePrefix(url, prefix));
  return redisBroker({ url, keyPrefix: prefix });
}

const brokers: [string, () => Promise<Broker>][] = [
  ['memory', async () => memoryBroker()],
  ['redis', redis],
];

describe.each(brokers)('%s broker', (_name, makeBroker) => {
  describe.each(transports)('history over %s', (transport) => {
    async function setup(options: ServerOptions = {}) {
      const { server, url } = await startServer({ broker: await makeBroker(), ...options });
      const c = client(url, { transports: [transport], pollInterval: 50 });
      await c.connect();
      return { server, c };
    }

    it('pages backwards by offset: limit, before, newest last, the start of history', async () => {
      const { server, c } = await setup();
      for (let n = 1; n <= 25; n++) await server.publish('h', { n });
      const first = await c.history<{ n: number }>('h', { limit: 10 });
      expect(first.latest).toBe(25);
      expect(first.messages.map((m) => m.offset)).toEqual(range(16, 25));
      expect(first.messages.map((m) => m.data.n)).toEqual(range(16, 25));
      const second = await c.history<{ n: number }>('h', { limit: 10, before: first.messages[0]!.offset });
      expect(second.messages.map((m) => m.offset)).toEqual(range(6, 15));
      expect(second.epoch).toBe(first.epoch);
      const last = await c.history('h', { limit: 10, before: 6 });
      expect(last.messages.map((m) => m.offset)).toEqual(range(1, 5));
      expect((await c.history('h', { before: 1 })).messages).toEqual([]);
      // The default limit is 100: all 25 here.
      expect((await c.history('h')).messages).toHaveLength(25);
      expect(await server.history('h', { limit: 2 })).toEqual({
        messages: [
          { data: { n: 24 }, offset: 24 },
          { data: { n: 25 }, offset: 25 },
        ],
        epoch: first.epoch,
        latest: 25,
      });
    });

    it('answers an empty channel with no messages and latest 0; binary data as bytes', async () => {
      const { server, c } = await setup();
      const empty = await c.history('nothing-here');
      expect(empty.messages).toEqual([]);
      expect(empty.latest).toBe(0);
      expect(typeof empty.epoch).toBe('string');
      await server.publish('bin', new Uint8Array([1, 2, 255]));
      const page = await c.history('bin');
      expect(page.messages[0]!.data).toEqual(new Uint8Array([1, 2, 255]));
    });

    it('returns only what a trimmed history still holds', async () => {
      const { server, c } = await setup({ history: { size: 5 } });
      for (let n = 1; n <= 12; n++) await server.publish('trim', { n });
      const page = await c.history('trim', { limit: 50 });
      expect(page.latest).toBe(12);
      expect(page.messages.map((m) => m.offset)).toEqual(range(8, 12));
      expect((await c.history('trim', { before: 8 })).messages).toEqual([]);
    });

    it('refuses a channel the client may not subscribe to with FORBIDDEN', async () => {
      const { server, c } = await setup({ authorize: ({ channel, action }) => !(channel === 'secret' && action === 'subscribe') });
      await server.publish('secret', { n: 1 });
      const err = await c.history('secret').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AnywireError);
      expect((err as AnywireError).code).toBe('FORBIDDEN');
      // The client is fine afterwards.
      expect((await c.history('open')).messages).toEqual([]);
    });
  });
});

describe('history input', () => {
  it('refuses a bad limit, before or channel with BAD_REQUEST on both ends, and caps limit at 1000', async () => {
    const { server, url } = await startServer({ history: { size: 2000 } });
    const c = client(url, { transports: ['websocket'] });
    for (const bad of [{ limit: 0 }, { limit: 1.5 }, { before: 0 }]) {
      await expect(c.history('x', bad)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(server.history('x', bad)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expect(c.history('bad channel')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await Promise.all(range(1, 1200).map((n) => server.publish('big', n)));
    expect((await c.history('big', { limit: 5000 })).messages).toHaveLength(1000);
    expect((await server.history('big', { limit: 5000 })).messages).toHaveLength(1000);
  });
});
