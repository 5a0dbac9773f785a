import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultReconnect, type ReconnectOptions } from './backoff.js';

const noJitter: ReconnectOptions = { ...defaultReconnect, jitter: 0 };

describe('backoffDelay', () => {
  it('grows by `factor` from `minDelay`', () => {
    const delays = [0, 1, 2, 3, 4].map((a) => backoffDelay(noJitter, a));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('is capped at `maxDelay`', () => {
    expect(backoffDelay(noJitter, 5)).toBe(10_000);
    expect(backoffDelay(noJitter, 50)).toBe(10_000);
    // A huge attempt count must not overflow into Infinity/NaN.
    expect(backoffDelay(noJitter, 10_000)).toBe(10_000);
  });

  it('honours a custom policy', () => {
    const p: ReconnectOptions = { minDelay: 100, maxDelay: 1000, factor: 3, jitter: 0, maxAttempts: 5 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(p, a))).toEqual([100, 300, 900, 1000]);
  });

  it('keeps jittered delays within [base·(1-jitter), base]', () => {
    const p: ReconnectOptions = { ...defaultReconnect, jitter: 0.5 };
    for (let attempt = 0; attempt < 8; attempt++) {
      const base = Math.min(p.maxDelay, p.minDelay * p.factor ** attempt);
      expect(backoffDelay(p, attempt, () => 0)).toBe(base);
      expect(backoffDelay(p, attempt, () => 0.999999)).toBeGreaterThanOrEqual(Math.floor(base * 0.5));
      expect(backoffDelay(p, attempt, () => 0.5)).toBe(Math.round(base * 0.75));
      expect(backoffDelay(p, attempt, () => 0.999999)).toBeLessThanOrEqual(base);
    }
  });

  it('draws a fresh random number per call', () => {
    const values = [0, 0.25, 0.5, 0.75];
    let i = 0;
    const random = () => values[i++ % values.length]!;
    const got = values.map(() => backoffDelay({ ...noJitter, jitter: 1 }, 2, random));
    expect(got).toEqual([2000, 1500, 1000, 500]);
  });

  it('full jitter (1) can reach 0; jitter is clamped to [0, 1]', () => {
    expect(backoffDelay({ ...noJitter, jitter: 1 }, 3, () => 0.9999999)).toBe(0);
    expect(backoffDelay({ ...noJitter, jitter: 7 }, 0, () => 0.5)).toBe(250);
    expect(backoffDelay({ ...noJitter, jitter: -1 }, 0, () => 0.5)).toBe(500);
  });

  it('defaults match the contract', () => {
    expect(defaultReconnect).toEqual({ minDelay: 500, maxDelay: 10_000, factor: 2, jitter: 0.5, maxAttempts: Infinity });
  });
});
