import { describe, expect, it } from 'vitest';
import { memoryBroker } from './memory.js';

const history = { size: 1000, ttl: 120_000 };

describe('memoryBroker de-duplication window', () => {
  it('stores a retried publish id once while it is remembered, and stays bounded past maxDedupIds', async () => {
    const broker = memoryBroker({ maxDedupIds: 100 });
    for (let i = 1; i <= 1000; i++) await broker.publish('c', String(i), { id: `p${i}`, history });
    // The newest maxDedupIds / 2 ids are always remembered: a retry returns the original offset.
    expect(await broker.publish('c', '"again"', { id: 'p1000', history })).toMatchObject({ offset: 1000 });
    expect(await broker.publish('c', '"again"', { id: 'p951', history })).toMatchObject({ offset: 951 });
    // Older ones are forgotten to keep memory bounded: the id is stored as a new message.
    expect(await broker.publish('c', '"again"', { id: 'p1', history })).toMatchObject({ offset: 1001 });
    expect(await broker.publish('c', '"again"', { id: 'p800', history })).toMatchObject({ offset: 1002 });
    await broker.close();
  });

  it('a retried id of another channel or another epoch is a new message', async () => {
    const broker = memoryBroker();
    expect(await broker.publish('a', '1', { id: 'x', history })).toMatchObject({ offset: 1 });
    expect(await broker.publish('b', '1', { id: 'x', history })).toMatchObject({ offset: 1 });
    expect(await broker.publish('a', '2', { id: 'x', history })).toMatchObject({ offset: 1 });
    await broker.close();
  });
});

describe('memoryBroker signals', () => {
  it('hands a signal to the listeners of its topic, and stores nothing', async () => {
    const broker = memoryBroker();
    const got: string[] = [];
    await broker.onSignal!('t', (d) => got.push('1:' + d));
    await broker.onSignal!('t', (d) => got.push('2:' + d));
    await broker.onSignal!('u', (d) => got.push('u:' + d));
    broker.signal!('t', 'x y');
    broker.signal!('nobody', 'z');
    expect(got).toEqual(['1:x y', '2:x y']);
    expect(await broker.history('t')).toMatchObject({ top: 0, messages: [] });
    await broker.close();
    broker.signal!('t', 'after');
    expect(got).toHaveLength(2);
  });
});

describe('memoryBroker channel lifecycle', () => {
  type Sweeping = { sweep(now?: number): void; channelCount: number };
  const short = { size: 1000, ttl: 1000 };

  it("keeps an idle channel's epoch and top after its history expired, so a resume is no gap", async () => {
    const broker = memoryBroker();
    const first = await broker.publish('quiet', '1', { history: short });
    // Long after the history ttl, with nobody listening: the sweep frees the history only.
    (broker as unknown as Sweeping).sweep(Date.now() + 60_000);
    const caughtUp = await broker.history('quiet', { epoch: first.epoch, offset: 1 });
    expect(caughtUp).toEqual({ epoch: first.epoch, top: 1, messages: [] });
    expect((await broker.publish('quiet', '2', { history: short })).offset).toBe(2);
    // Behind what expired: trimmed, in the same epoch (never a false history-lost).
    expect((await broker.history('quiet', { epoch: first.epoch, offset: 0 })).gap).toBe('history-trimmed');
    await broker.close();
  });

  it('forgets an idle channel after metaTtl, or the least recently published past maxIdleChannels', async () => {
    const broker = memoryBroker({ metaTtl: 10_000, maxIdleChannels: 2 });
    const sweeping = broker as unknown as Sweeping;
    const a = await broker.publish('a', '1', { history: short });
    await broker.publish('b', '1', { history: short });
    await broker.publish('c', '1', { history: short });
    sweeping.sweep(Date.now() + 5000);
    expect(sweeping.channelCount).toBe(2); // 'a' was published first: it goes first
    expect((await broker.history('a', { epoch: a.epoch, offset: 1 })).gap).toBe('history-lost');
    sweeping.sweep(Date.now() + 20_000);
    expect(sweeping.channelCount).toBe(0);
    await broker.close();
  });

  it('never forgets a channel someone listens to', async () => {
    const broker = memoryBroker({ metaTtl: 1 });
    const sweeping = broker as unknown as Sweeping;
    const first = await broker.publish('held', '1', { history: short });
    await broker.subscribe('held', () => {});
    sweeping.sweep(Date.now() + 86_400_000);
    expect(await broker.history('held', { epoch: first.epoch, offset: 1 })).toMatchObject({ epoch: first.epoch, top: 1 });
    await broker.close();
  });
});
