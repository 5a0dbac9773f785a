// The server's hand-written inbound check (client-check.ts) must decide exactly as the zod schema
// it runs in front of (schemas.ts `clientFrame`): every valid frame of every type, with each field
// swapped for each value of a pool of edge cases, one and two fields at a time, nested `since`
// included, and whatever a hostile client can put in JSON.
import { describe, expect, it } from 'vitest';
import { edgeValues, oneFieldChanges, twoFieldChanges } from '../../../test/helpers/frame-variants.js';
import { clientFrame as schema } from '../../core/schemas.js';
import { clientFrame, isClientFrame } from './client-check.js';
import { decodeClientText } from './inbound.js';

const valid: Record<string, Record<string, unknown>> = {
  connect: { t: 'connect', v: 2, token: 'tok' },
  sub: { t: 'sub', id: 1, ch: 'chat', since: { e: 'ep', o: 0 } },
  unsub: { t: 'unsub', ch: 'a.b' },
  pub: { t: 'pub', id: 'p-1', ch: 'chat', d: { x: 1 } },
  pubBinary: { t: 'pub', id: 'p-2', ch: 'chat', b: new Uint8Array([1]) },
  subRewindPresence: { t: 'sub', id: 2, ch: 'room', rw: 50, pc: 'c1', p: { name: 'Ada' } },
  hist: { t: 'hist', id: 'q1', ch: 'chat', n: 50, b: 10 },
  pres: { t: 'pres', id: 'q2', ch: 'room' },
  ping: { t: 'ping' },
  pong: { t: 'pong' },
  auth: { t: 'auth', token: 'fresh' },
};

/** The shared edge values, and what a client frame adds: its lengths, types and `since` shapes. */
const pool: unknown[] = [
  ...edgeValues,
  -Infinity,
  -Number.MAX_SAFE_INTEGER,
  'x'.repeat(8192),
  'x'.repeat(8193),
  'a\nb',
  'chat\n',
  // zod counts code points: a surrogate pair is one, a lone surrogate one too.
  '😀',
  '😀'.repeat(32),
  '😀'.repeat(33),
  '😀'.repeat(64),
  '😀'.repeat(65),
  'x'.repeat(63) + '😀',
  'x'.repeat(64) + '😀',
  '\ud800'.repeat(64),
  '\ud800'.repeat(65),
  '\udc00\ud800'.repeat(40),
  '😀'.repeat(8192),
  '😀'.repeat(8193),
  'connect',
  'sub',
  'unsub',
  'pub',
  'ping',
  'pong',
  'constructor',
  ['chat'],
  { e: 'ep', o: 1 },
  { e: '', o: 1 },
  { e: 'ep', o: -1 },
  { e: 'ep' },
  { o: 1 },
  new Uint8Array(0),
  Buffer.from('ab'),
];

function agree(v: unknown): void {
  const a = isClientFrame(v);
  const b = schema.safeParse(v).success;
  if (a !== b) throw new Error(`check says ${a}, schema says ${b} for ${describeValue(v)}`);
  expect(clientFrame.safeParse(v).success).toBe(b);
}

function describeValue(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? `<bytes ${x.length}>` : x === undefined ? '<undefined>' : x));
}

describe('server frame check ≡ zod clientFrame', () => {
  it('agrees on non-objects and unknown types', () => {
    for (const v of pool) agree(v);
    for (const t of pool) agree({ t });
    for (const t of ['welcome', 'subd', 'ack', 'err', 'PUB', ' pub']) agree({ t, id: 'x', ch: 'c', d: 1 });
  });

  it.each(Object.keys(valid))('agrees on every one-field change of a %s frame', (type) => {
    const base = valid[type]!;
    expect(isClientFrame(base)).toBe(true);
    for (const f of oneFieldChanges(base, ['t', 'v', 'id', 'ch', 'd', 'b', 'since', 'token', 'extra'], pool)) agree(f);
  });

  it.each(Object.keys(valid))('agrees on two-field changes of a %s frame', (type) => {
    for (const f of twoFieldChanges(valid[type]!, pool)) agree(f);
  });

  it('agrees on every change inside a sub frame’s "since"', () => {
    for (const key of ['e', 'o', 'extra']) {
      for (const value of pool) {
        agree({ ...valid.sub, since: { e: 'ep', o: 3, [key]: value } });
        for (const other of pool) agree({ ...valid.sub, since: { e: value, o: other } });
      }
    }
  });

  it('agrees on what a hostile client can put in JSON', () => {
    const texts = [
      '{"t":"pub","id":"a","ch":"c","d":1,"__proto__":{"t":"ping"}}',
      '{"__proto__":{"t":"pub","id":"a","ch":"c"}}',
      '{"t":"pub","id":"a","ch":"c","constructor":{"prototype":{"x":1}},"d":null}',
      '{"t":"sub","id":1,"ch":"c","since":{"__proto__":{"e":"x","o":1}}}',
      '{"t":"sub","id":1,"ch":"c","since":[]}',
      '{"t":"pub","t":"ping"}',
      '{"t":"ping","t":"pub","id":"a","ch":"c"}',
      '{"t":"pub","id":"a","ch":"c","d":{"deep":[[[[[[[[[[[]]]]]]]]]]]}}',
      '{"t":"pub","id":"a","ch":"c","b":"AQI="}',
      '{"t":"pub","id":"a","ch":"c","b":1}',
      '{"t":"connect","v":2.0}',
      '{"t":"connect","v":2e0,"token":""}',
      '{"t":"sub","id":1e2,"ch":"c"}',
      '{"t":"sub","id":-0,"ch":"c"}',
      '{"t":"sub","id":9007199254740993,"ch":"c"}',
    ];
    for (const text of texts) agree(JSON.parse(text));
  });

  it('returns the frame itself on success, and zod’s issues on failure', () => {
    const f = { t: 'pub', id: 'x', ch: 'c', d: 1 };
    const r = clientFrame.safeParse(f);
    expect(r.success && r.data).toBe(f);
    const bad = clientFrame.safeParse({ t: 'pub', id: '', ch: 'c', d: 1 });
    expect(bad.success).toBe(false);
    expect(bad.success || bad.error).toEqual(schema.safeParse({ t: 'pub', id: '', ch: 'c', d: 1 }).error);
  });

  it('leaves malformed frames with the errors zod gave them', () => {
    expect(decodeClientText('{"t":"pub","id":"","ch":"c","d":1}')).toEqual({
      frames: [],
      errors: [{ t: 'err', code: 'BAD_REQUEST', msg: expect.stringMatching(/^invalid pub frame: id: /), id: '' }],
    });
    expect(decodeClientText('[{"t":"ping"},{"t":"pub","id":"a","ch":"bad channel","d":1}]')).toEqual({
      frames: [{ t: 'ping' }],
      errors: [{ t: 'err', code: 'BAD_REQUEST', msg: expect.stringMatching(/^invalid pub frame: ch: /), id: 'a' }],
    });
    expect(decodeClientText('{"t":"nope"}').violation).toMatch(/^invalid frame: /);
  });
});
