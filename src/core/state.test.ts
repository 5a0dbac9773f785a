import { describe, expect, it } from 'vitest';
import { canTransition, transitions, type ClientState } from './state.js';

const states: ClientState[] = ['disconnected', 'connecting', 'connected', 'reconnecting'];

// The whole table, written out: a change to the state machine must change this test too.
const allowed: [ClientState, ClientState][] = [
  ['disconnected', 'connecting'],
  ['connecting', 'connected'],
  ['connecting', 'reconnecting'],
  ['connecting', 'disconnected'],
  ['connected', 'reconnecting'],
  ['connected', 'disconnected'],
  ['reconnecting', 'connected'],
  ['reconnecting', 'disconnected'],
];
const key = ([a, b]: [ClientState, ClientState]) => `${a} → ${b}`;
const allowedKeys = new Set(allowed.map(key));
const forbidden = states
  .flatMap((from) => states.map((to): [ClientState, ClientState] => [from, to]))
  .filter((pair) => !allowedKeys.has(key(pair)));

describe('client state transitions', () => {
  it.each(allowed)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each(forbidden)('forbids %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('covers every pair of states exactly once', () => {
    expect(allowed.length + forbidden.length).toBe(states.length * states.length);
    expect(Object.keys(transitions).sort()).toEqual([...states].sort());
  });

  it('never allows a self-transition (setState ignores those before asking)', () => {
    for (const s of states) expect(canTransition(s, s)).toBe(false);
  });

  it('reaches connected only through connecting or reconnecting', () => {
    const into = states.filter((s) => canTransition(s, 'connected'));
    expect(into.sort()).toEqual(['connecting', 'reconnecting']);
  });
});
