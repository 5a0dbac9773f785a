// Variants of a valid frame for differential tests of a hand-written frame check against the zod
// schema it stands for: every field set to every value of a pool (and left out), then every pair
// of fields. Used by src/node/server/client-check.test.ts and src/core/frames-check.test.ts.
type Frame = Record<string, unknown>;

/** Values at the edges of what the frame schemas accept: types, integers, lengths, bytes. */
export const edgeValues: readonly unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  1,
  2,
  -1,
  1.5,
  NaN,
  Infinity,
  2 ** 53,
  Number.MAX_SAFE_INTEGER,
  '',
  'a',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(200),
  'x'.repeat(201),
  'x'.repeat(4096),
  'x'.repeat(4097),
  // zod counts code points, not UTF-16 units: 64 emoji are 128 units but 64 long.
  '\u{1F600}'.repeat(64),
  '\u{1F600}'.repeat(65),
  '\u{1F600}'.repeat(33) + 'x'.repeat(32),
  '\ud800',
  'a b',
  'ü',
  '1',
  'history-trimmed',
  'history-lost',
  'history',
  'welcome',
  'msg',
  'toString',
  '__proto__',
  [],
  [1],
  {},
  { t: 'ping' },
  new Uint8Array([1, 2]),
  new ArrayBuffer(2),
  new Uint16Array(1),
];

/** `base` with one of `keys` (its own and `extraKeys`) set to each value of `pool`, or deleted. */
export function* oneFieldChanges(base: Frame, extraKeys: readonly string[], pool: readonly unknown[]): Generator<Frame> {
  for (const key of new Set([...Object.keys(base), ...extraKeys])) {
    const without: Frame = { ...base };
    delete without[key];
    yield without;
    for (const value of pool) yield { ...base, [key]: value };
  }
}

/** `base` with every pair of its fields other than `t` set to every pair of values of `pool`. */
export function* twoFieldChanges(base: Frame, pool: readonly unknown[]): Generator<Frame> {
  const keys = Object.keys(base).filter((k) => k !== 't');
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      for (const a of pool) for (const b of pool) yield { ...base, [keys[i]!]: a, [keys[j]!]: b };
    }
  }
}
