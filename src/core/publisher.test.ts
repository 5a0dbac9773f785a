import { afterEach, describe, expect, it, vi } from 'vitest';
import { frameText, type PublishFrame } from './frames.js';
import { Publisher } from './publisher.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Publisher', () => {
  it('an answer that comes back while the frame is being sent settles the publish', async () => {
    const p: Publisher = new Publisher(1000, 10, (frame) => {
      p.settle({ t: 'ack', id: frame.id, o: 7 });
      return true;
    });
    await expect(p.add('c', { x: 1 }, '{"x":1}', undefined)).resolves.toEqual({ offset: 7 });
  });

  it('sends the data text it was given, or a binary frame', () => {
    const sent: PublishFrame[] = [];
    const p = new Publisher(1000, 10, (f) => (sent.push(f as PublishFrame), true));
    p.add('c', { x: 1 }, '{"x":1}', undefined).catch(() => {});
    p.add('c', undefined, undefined, new Uint8Array([1])).catch(() => {});
    expect(JSON.parse(frameText(sent[0]!))).toEqual({ t: 'pub', id: sent[0]!.id, ch: 'c', d: { x: 1 } });
    expect(sent[1]).toEqual({ t: 'pub', id: sent[1]!.id, ch: 'c', b: new Uint8Array([1]) });
    expect(sent[0]!.id).not.toBe(sent[1]!.id);
    expect(p.frames()).toEqual(sent);
    p.rejectAll('CLOSED', 'bye');
  });

  it('makes publish ids another client cannot guess: crypto-random, not Math.random and the clock', () => {
    // With Math.random and the clock pinned, two publishers must still pick unrelated ids: an
    // attacker who guessed a victim's next id could publish it first and make the victim's vanish.
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const ids = [0, 1].map(() => {
      const sent: PublishFrame[] = [];
      const p = new Publisher(1000, 10, (f) => (sent.push(f as PublishFrame), true));
      p.add('c', 1, '1', undefined).catch(() => {});
      p.rejectAll('CLOSED', 'bye');
      return sent[0]!.id;
    });
    vi.restoreAllMocks();
    expect(ids[0]).not.toBe(ids[1]);
    expect(ids[0]!.length).toBeGreaterThanOrEqual(24);
  });

  it('while disconnected keeps up to maxQueued, then rejects with RATE_LIMITED', async () => {
    const p = new Publisher(1000, 2, () => false);
    const kept = [p.add('c', 1, '1', undefined), p.add('c', 2, '2', undefined)];
    await expect(p.add('c', 3, '3', undefined)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(p.frames()).toHaveLength(2);
    p.rejectAll('CLOSED', 'bye');
    await expect(Promise.allSettled(kept)).resolves.toMatchObject([{ reason: { code: 'CLOSED' } }, { reason: { code: 'CLOSED' } }]);
  });

  it('an err frame rejects with its code; an unknown id is not a publish', async () => {
    const sent: PublishFrame[] = [];
    const p = new Publisher(1000, 10, (f) => (sent.push(f as PublishFrame), true));
    const done = p.add('c', 1, '1', undefined);
    expect(p.settle({ t: 'err', code: 'FORBIDDEN', msg: 'no', id: 'other' })).toBe(false);
    expect(p.settle({ t: 'err', code: 'FORBIDDEN', msg: 'no', id: 3 })).toBe(false);
    expect(p.settle({ t: 'err', code: 'FORBIDDEN', msg: 'no', id: sent[0]!.id })).toBe(true);
    await expect(done).rejects.toMatchObject({ code: 'FORBIDDEN', message: 'no' });
  });

  it('times out with one timer, and leaves none once nothing waits', async () => {
    vi.useFakeTimers();
    const sent: PublishFrame[] = [];
    const p = new Publisher(1000, 10, (f) => (sent.push(f as PublishFrame), true));
    const first = p.add('c', 1, '1', undefined);
    first.catch(() => {});
    vi.advanceTimersByTime(500);
    const second = p.add('c', 2, '2', undefined);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(500);
    await expect(first).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(vi.getTimerCount()).toBe(1);
    p.settle({ t: 'ack', id: sent[1]!.id, o: 1 });
    await expect(second).resolves.toEqual({ offset: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
