import { describe, expect, it } from 'vitest';
import { memoryBroker } from './memory.js';

const history = { size: 1000, ttl: 60_000 };
const kib = (n: number) => 'z'.repeat(n * 512); // n KiB at two bytes per character

describe('the memory broker history budget', () => {
  it('evicts whole channels, least recently published first, and keeps the newest message of one over budget', async () => {
    const broker = memoryBroker({ maxHistoryBytes: 100 * 1024 });
    const epochs = new Map<string, string>();
    for (const ch of ['a', 'b', 'c']) epochs.set(ch, (await broker.publish(ch, kib(30), { history })).epoch);
    await broker.publish('a', kib(30), { history }); // 'a' is now the most recent: 'b' goes first
    const since = (ch: string) => broker.history(ch, { epoch: epochs.get(ch)!, offset: 0 });
    expect((await since('b')).gap).toBe('history-trimmed');
    expect((await since('c')).messages).toHaveLength(1);
    expect((await since('a')).messages).toHaveLength(2);

    // One channel alone past the budget loses its own oldest, never its newest.
    const big = await broker.publish('big', kib(200), { history });
    const h = await broker.history('big', { epoch: big.epoch, offset: 0 });
    expect(h.messages.map((m) => m.offset)).toEqual([1]);
    expect((await since('a')).gap).toBe('history-trimmed');
    await broker.close();
  });
});
