import { describe, expect, it } from 'vitest';
import { IdWindow } from './id-window.js';

describe('IdWindow', () => {
  it('finds what it remembered, per channel and epoch, and nothing else', () => {
    const w = new IdWindow(100_000);
    const now = Date.now();
    w.remember('c', 'e1', 'pub', 'p-1', 7, 120_000, now);
    expect(w.lookup('c', 'e1', 'pub', 'p-1')).toBe(7);
    expect(w.lookup('c', 'e1', 'pub', 'p-2')).toBeUndefined();
    expect(w.lookup('d', 'e1', 'pub', 'p-1')).toBeUndefined();
    expect(w.lookup('c', 'e2', 'pub', 'p-1')).toBeUndefined();
    // Another publisher's id of the same text is another publish.
    expect(w.lookup('c', 'e1', 'someone-else', 'p-1')).toBeUndefined();
    expect(w.lookup('c', 'e1', '', 'p-1')).toBeUndefined();
  });

  it('gives exact answers when its filter is saturated (every bit set)', () => {
    // The smallest filter (1,024 bits) with 4,000 ids: every lookup passes it and the maps decide.
    const w = new IdWindow(10_000);
    const now = Date.now();
    for (let i = 0; i < 4000; i++) w.remember('c', 'e', 'pub', `id-${i}`, i + 1, 120_000, now);
    for (let i = 0; i < 4000; i++) expect(w.lookup('c', 'e', 'pub', `id-${i}`)).toBe(i + 1);
    for (let i = 4000; i < 8000; i++) expect(w.lookup('c', 'e', 'pub', `id-${i}`)).toBeUndefined();
    expect(w.lookup('c', 'e', 'pub', '')).toBeUndefined();
    expect(w.lookup('c', 'e', 'pub', '😀')).toBeUndefined();
  });

  it('always remembers the newest max / 2 ids, and forgets older ones in bounded memory', () => {
    const w = new IdWindow(100);
    const now = Date.now();
    for (let i = 1; i <= 1000; i++) w.remember('c', 'e', 'pub', `p${i}`, i, 120_000, now);
    for (let i = 951; i <= 1000; i++) expect(w.lookup('c', 'e', 'pub', `p${i}`)).toBe(i);
    for (let i = 1; i <= 850; i++) expect(w.lookup('c', 'e', 'pub', `p${i}`)).toBeUndefined();
  });

  it('forgets ids older than two ttls, with or without new publishes', () => {
    const w = new IdWindow(100_000);
    const t0 = Date.now();
    w.remember('c', 'e', 'pub', 'old', 1, 60_000, t0);
    w.age(t0 + 61_000); // the generation holding "old" becomes the previous one
    expect(w.lookup('c', 'e', 'pub', 'old')).toBe(1);
    w.age(t0 + 122_000);
    expect(w.lookup('c', 'e', 'pub', 'old')).toBeUndefined();
    w.remember('c', 'e', 'pub', 'a', 2, 60_000, t0 + 122_000);
    w.remember('c', 'e', 'pub', 'b', 3, 60_000, t0 + 183_000); // rotates on publish
    expect(w.lookup('c', 'e', 'pub', 'a')).toBe(2);
    w.remember('c', 'e', 'pub', 'x', 4, 60_000, t0 + 244_000);
    expect(w.lookup('c', 'e', 'pub', 'a')).toBeUndefined();
    expect(w.lookup('c', 'e', 'pub', 'b')).toBe(3);
  });
});
