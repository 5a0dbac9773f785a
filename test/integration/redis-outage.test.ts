// A Redis outage, on a redis-server this test starts itself on a free port (never the machine's
// shared one): the server keeps running and reports it, publishes reject with BROKER_UNAVAILABLE,
// clients stay connected, and delivery resumes when Redis is back — without loss when Redis
// persisted its data, with a 'history-lost' gap when it came back empty.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { GapReason } from '../../src/core/frames.js';
import { AnywireError } from '../../src/node/index.js';
import { redisBroker } from '../../src/node/server/index.js';
import { startOwnRedis, type OwnRedis } from '../helpers/redis.js';
import { client as makeClient, startServer } from '../helpers/server.js';

let redis: OwnRedis | undefined;
afterEach(async () => {
  await redis?.dispose();
  redis = undefined;
});

async function setup(persist: boolean) {
  redis = await startOwnRedis({ persist });
  const { server, url } = await startServer({ broker: redisBroker({ url: redis.url }) });
  const c = makeClient(url, { transports: ['websocket'], reconnect: { minDelay: 20, maxDelay: 200 } });
  await c.connect();
  const got: { data: unknown; offset: number }[] = [];
  const gaps: GapReason[] = [];
  const sub = c.subscribe('news', (data, meta) => got.push({ data, offset: meta.offset }));
  sub.on('gap', (e) => gaps.push(e.reason));
  await sub.ready;
  let disconnects = 0;
  server.on('disconnect', () => disconnects++);
  return { server, c, got, gaps, disconnects: () => disconnects };
}

async function rejection(p: Promise<unknown>): Promise<AnywireError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AnywireError);
  return err as AnywireError;
}

describe('a Redis outage', () => {
  it('rejects publishes with BROKER_UNAVAILABLE while down and loses nothing when Redis keeps its data', async () => {
    const { server, c, got, gaps, disconnects } = await setup(true);
    await server.publish('news', 1);
    await c.publish('news', 2);
    await vi.waitFor(() => expect(got).toHaveLength(2));

    await redis!.stop();
    await vi.waitFor(() => expect(server.brokerHealthy).toBe(false));
    expect((await rejection(server.publish('news', 'lost'))).code).toBe('BROKER_UNAVAILABLE');
    expect((await rejection(c.publish('news', 'lost'))).code).toBe('BROKER_UNAVAILABLE');
    expect(c.state).toBe('connected');

    await redis!.start();
    await vi.waitFor(() => expect(server.brokerHealthy).toBe(true), { timeout: 15_000 });
    await server.publish('news', 3);
    await c.publish('news', 4);
    await vi.waitFor(() => expect(got).toHaveLength(4));
    expect(got).toEqual([1, 2, 3, 4].map((n) => ({ data: n, offset: n })));
    expect(gaps).toEqual([]);
    expect(c.state).toBe('connected');
    expect(disconnects()).toBe(0);
  });

  it('reports a history-lost gap and resumes delivery when Redis comes back empty', async () => {
    const { server, c, got, gaps, disconnects } = await setup(false);
    await server.publish('news', 'before');
    await vi.waitFor(() => expect(got).toHaveLength(1));

    await redis!.stop();
    await vi.waitFor(() => expect(server.brokerHealthy).toBe(false));
    expect((await rejection(c.publish('news', 'lost'))).code).toBe('BROKER_UNAVAILABLE');

    await redis!.start();
    await vi.waitFor(() => expect(server.brokerHealthy).toBe(true), { timeout: 15_000 });
    // The channel starts again under a new epoch: the client is told, never left to guess.
    await server.publish('news', 'first after');
    await vi.waitFor(() => expect(gaps).toEqual(['history-lost']));
    await server.publish('news', 'second after');
    await vi.waitFor(() => expect(got.at(-1)).toEqual({ data: 'second after', offset: 2 }));
    expect(c.state).toBe('connected');
    expect(disconnects()).toBe(0);
  });
});
