import { afterEach, describe, expect, it, vi } from 'vitest';
import { refreshTimer } from './token-refresh.js';

describe('refreshTimer', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** The delay (ms) the timer is armed with for a token living `life` ms more, with Math.random() = r. */
  function delay(life: number, r: number, retry = false): number | undefined {
    vi.useFakeTimers({ now: 1_000_000_000_000 });
    vi.spyOn(Math, 'random').mockReturnValue(r);
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const t = refreshTimer((Date.now() + life) / 1000, () => {}, retry);
    const d = t === undefined ? undefined : (spy.mock.calls.at(-1)![1] as number);
    clearTimeout(t);
    vi.useRealTimers();
    vi.restoreAllMocks();
    return d;
  }

  it('refreshes a fifth of the remaining life early, stretched by up to half again at random', () => {
    expect(delay(3000, 0)).toBe(3000 - 600);
    expect(delay(3000, 1)).toBe(3000 - 900);
    expect(delay(3000, 0.5)).toBe(3000 - 750);
  });

  it('caps the margin at 30 s (45 s with the most jitter) for long-lived tokens', () => {
    expect(delay(3_600_000, 0)).toBe(3_600_000 - 30_000);
    expect(delay(3_600_000, 1)).toBe(3_600_000 - 45_000);
  });

  it('spreads many clients: their refreshes cover the whole jitter window', () => {
    const delays = Array.from({ length: 11 }, (_, i) => delay(3_600_000, i / 10)!);
    expect(new Set(delays).size).toBe(11);
    expect(Math.max(...delays) - Math.min(...delays)).toBe(15_000);
  });

  it('retries a second later, or halfway to exp when that is sooner, until exp is too close', () => {
    expect(delay(5000, 0.5, true)).toBe(1000);
    expect(delay(800, 0.5, true)).toBe(400);
    expect(delay(90, 0.5, true)).toBeUndefined();
    expect(delay(-1000, 0.5)).toBeUndefined();
  });

  it('does nothing without exp, and calls back when due', () => {
    expect(refreshTimer(undefined, () => {})).toBeUndefined();
    vi.useFakeTimers();
    const fn = vi.fn();
    refreshTimer((Date.now() + 10_000) / 1000, fn);
    vi.advanceTimersByTime(7000);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledOnce();
  });
});
