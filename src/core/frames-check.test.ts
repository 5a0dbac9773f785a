// The client's hand-written inbound check (frames.ts `serverFrame`) must decide exactly as the zod
// schema it replaces in the bundle (schemas.ts `serverFrame`): every valid frame of every type,
// with each field swapped for each value of a pool of edge cases, one and two fields at a time.
import { describe, expect, it } from 'vitest';
import { edgeValues as pool, oneFieldChanges, twoFieldChanges } from '../../test/helpers/frame-variants.js';
import { serverFrame as check } from './frames.js';
import { serverFrame as schema } from './schemas.js';

const valid: Record<string, Record<string, unknown>> = {
  welcome: { t: 'welcome', v: 2, sid: 's', hb: 25000, max: 65536, exp: 1_900_000_000 },
  subd: { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 0, r: false, gap: 'history-lost' },
  msg: { t: 'msg', ch: 'a.b', o: 1, d: { x: 1 }, b: new Uint8Array([1]) },
  ack: { t: 'ack', id: 'p-1', o: 3 },
  presenceEvent: { t: 'msg', ch: 'room', o: 2, p: 'join', d: { id: 'ada', connections: 1 } },
  histd: {
    t: 'histd',
    id: 'q1',
    e: 'ep',
    o: 3,
    m: [
      { o: 1, d: 1 },
      { o: 2, b: 'AAE=' },
    ],
  },
  presd: { t: 'presd', id: 'q2', m: [{ id: 'ada', data: { x: 1 }, connections: 2 }], n: 1 },
  err: { t: 'err', code: 'FORBIDDEN', msg: 'no', id: 7, ch: 'c', retry: 100 },
  ping: { t: 'ping' },
  pong: { t: 'pong' },
  authd: { t: 'authd', exp: 1_900_000_000, sid: 's2', code: 'UNAUTHORIZED', msg: 'no' },
};

function agree(v: unknown): void {
  const a = check.safeParse(v).success;
  const b = schema.safeParse(v).success;
  if (a !== b) throw new Error(`check says ${a}, schema says ${b} for ${describeValue(v)}`);
}

function describeValue(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `<bytes ${x.length}>` : x === undefined ? '<undefined>' : x));
}

describe('client frame check ≡ zod serverFrame', () => {
  it('agrees on non-objects and unknown types', () => {
    for (const v of pool) agree(v);
    for (const t of [...pool, 'connect', 'sub', 'pub', 'unsub']) agree({ t });
  });

  it.each(Object.keys(valid))('agrees on every one-field change of a %s frame', (type) => {
    const base = valid[type]!;
    expect(check.safeParse(base).success).toBe(true);
    for (const f of oneFieldChanges(base, ['v', 'id', 'o', 'ch', 'extra'], pool)) agree(f);
  });

  it.each(Object.keys(valid))('agrees on two-field changes of a %s frame', (type) => {
    const base = valid[type]!;
    for (const f of twoFieldChanges(base, pool)) agree(f);
  });

  it('returns the frame itself on success', () => {
    const f = { t: 'ack', id: 'x', o: 1 };
    const r = check.safeParse(f);
    expect(r.success && r.data).toBe(f);
  });
});
