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
