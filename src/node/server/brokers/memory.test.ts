import { describe, expect, it } from 'vitest';
import { memoryBroker } from './memory.js';

const history = { size: 1000, ttl: 120_000 };

describe('memoryBroker de-duplication window', () => {
  it('stores a retried publish id once while it is remembered, and stays bounded past maxDedupIds', async () => {
    const broker = memoryBroker({ maxDedupIds: 100 });
    for (let i = 1; i <= 1000; i++) await broker.publish('c', String(i), { id: `p${i}`, history });
    // The newest ids are remembered: a retry returns the original offset and stores nothing.
    expect(await broker.publish('c', '"again"', { id: 'p1000', history })).toMatchObject({ offset: 1000 });
    expect(await broker.publish('c', '"again"', { id: 'p950', history })).toMatchObject({ offset: 950 });
    // The oldest were forgotten to keep the window bounded: the id is stored as a new message.
    expect(await broker.publish('c', '"again"', { id: 'p1', history })).toMatchObject({ offset: 1001 });
    await broker.close();
  });

  it('keeps publishing in constant time per message past the window', { timeout: 30_000 }, async () => {
    const broker = memoryBroker(); // the default window: 100000 ids
    const timeOf = async (from: number, n: number) => {
      const t = performance.now();
      for (let i = from; i < from + n; i++) await broker.publish('c', '1', { id: `id-${i}`, history });
      return performance.now() - t;
    };
    const fill = (await timeOf(0, 100_000)) / 100_000; // per publish while the window fills
    const past = (await timeOf(100_000, 80_000)) / 80_000; // per publish once ids are evicted
    // Evicting one id per publish made each publish O(window): 'past' was several times 'fill'.
    expect(past).toBeLessThan(fill * 2.5 + 0.001);
    await broker.close();
  });
});
