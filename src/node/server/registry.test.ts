// The session registry with fake sessions: create, find, rebuild on a miss, expiry, bounds.
import { describe, expect, it } from 'vitest';
import { SessionRegistry, type Registered } from './registry.js';

interface Fake extends Registered {
  expirable: boolean;
  built?: boolean;
}
const fake = (id: string, lastSeen = 0, expirable = true): Fake => ({ id, lastSeen, expirable });

describe('SessionRegistry', () => {
  it('creates and finds sessions by id, and deletes only the very object it holds', () => {
    const r = new SessionRegistry<Fake>(10);
    const a = fake('a');
    expect(r.add(a)).toBe(true);
    expect(r.add(fake('a'))).toBe(false); // the id is taken
    expect(r.get('a')).toBe(a);
    expect(r.get('b')).toBeUndefined();
    expect(r.delete(fake('a'))).toBe(false); // another object of the same id
    expect(r.delete(a)).toBe(true);
    expect(r.size).toBe(0);
  });

  it('rebuilds a session on a miss, and finds the existing one on a hit', () => {
    const r = new SessionRegistry<Fake>(10);
    const a = fake('a');
    r.add(a);
    expect(r.obtain('a', () => fake('a'))).toEqual({ session: a, rebuilt: false });
    let built = 0;
    const got = r.obtain('b', () => (built++, { ...fake('b'), built: true }));
    expect(got).toMatchObject({ rebuilt: true, session: { id: 'b', built: true } });
    expect(r.get('b')).toBe(got!.session);
    expect(r.obtain('b', () => (built++, fake('b')))?.rebuilt).toBe(false);
    expect(built).toBe(1);
  });

  it('expires the expirable sessions last heard before the cutoff, and only those', () => {
    const r = new SessionRegistry<Fake>(10);
    const old = fake('old', 100);
    const fresh = fake('fresh', 900);
    const held = fake('held', 100, false); // a poll or stream is attached, or a WebSocket
    for (const s of [old, fresh, held]) r.add(s);
    expect(r.expire(500)).toEqual([old]);
    expect([...r.values()]).toEqual([fresh, held]);
    fresh.lastSeen = 1000; // heard again: it lives on
    expect(r.expire(950)).toEqual([]);
    expect(r.expire(2000).map((s) => s.id)).toEqual(['fresh']);
    expect(r.size).toBe(1);
  });

  it('is bounded: past maxSessions nothing is added or rebuilt', () => {
    const r = new SessionRegistry<Fake>(2);
    expect(r.add(fake('a'))).toBe(true);
    expect(r.obtain('b', () => fake('b'))?.rebuilt).toBe(true);
    expect(r.full).toBe(true);
    expect(r.add(fake('c'))).toBe(false);
    expect(r.obtain('c', () => fake('c'))).toBeUndefined();
    expect(r.obtain('a', () => fake('a'))?.rebuilt).toBe(false); // an existing one is still found
    expect(r.size).toBe(2);
  });
});
