// The hand-written frame checks agree with the zod schemas on the history and presence frames
// and fields (hist, pres, sub's rw/pc/p; histd, presd, msg's p).
import { describe, expect, it } from 'vitest';
import { checkServerFrame } from '../../core/frames.js';
import { clientFrame, serverFrame } from '../../core/schemas.js';
import { isClientFrame } from './client-check.js';

const client: unknown[] = [
  { t: 'hist', id: 'q1', ch: 'c' },
  { t: 'hist', id: 'q1', ch: 'c', n: 1, b: 1 },
  { t: 'hist', id: 'q1', ch: 'c', n: 1000 },
  { t: 'hist', id: 'q1', ch: 'c', n: 1001 },
  { t: 'hist', id: 'q1', ch: 'c', n: 0 },
  { t: 'hist', id: 'q1', ch: 'c', n: 1.5 },
  { t: 'hist', id: 'q1', ch: 'c', b: 0 },
  { t: 'hist', id: '', ch: 'c' },
  { t: 'hist', id: 'q1', ch: 'bad channel' },
  { t: 'hist', id: 5, ch: 'c' },
  { t: 'pres', id: 'q2', ch: 'c' },
  { t: 'pres', id: 'q2', ch: '' },
  { t: 'pres', ch: 'c' },
  { t: 'sub', id: 1, ch: 'c', rw: 50, pc: 'abc', p: { name: 'Ada' } },
  { t: 'sub', id: 1, ch: 'c', rw: 0 },
  { t: 'sub', id: 1, ch: 'c', rw: 1001 },
  { t: 'sub', id: 1, ch: 'c', pc: '' },
  { t: 'sub', id: 1, ch: 'c', pc: 'x'.repeat(65) },
  { t: 'sub', id: 1, ch: 'c', p: null },
];

const server: unknown[] = [
  { t: 'histd', id: 'q1', e: 'ep', o: 0, m: [] },
  {
    t: 'histd',
    id: 'q1',
    e: 'ep',
    o: 3,
    m: [
      { o: 1, d: 1 },
      { o: 2, b: 'AAE=' },
    ],
  },
  { t: 'histd', id: 'q1', e: 'ep', o: 3, m: [{ o: 0, d: 1 }] },
  { t: 'histd', id: 'q1', e: 'ep', o: 3, m: [{ o: 1, b: 5 }] },
  { t: 'histd', id: 'q1', e: 'ep', o: 3, m: [null] },
  { t: 'histd', id: 'q1', e: 'ep', o: 3, m: {} },
  { t: 'histd', id: 'q1', e: '', o: 3, m: [] },
  { t: 'presd', id: 'q2', m: [{ id: 'a', connections: 2, data: { x: 1 }, identity: null }], n: 1 },
  { t: 'presd', id: 'q2', m: [{ id: 'a', connections: 0 }], n: 1 },
  { t: 'presd', id: 'q2', m: [{ id: 1, connections: 1 }], n: 1 },
  { t: 'presd', id: 'q2', m: [], n: -1 },
  { t: 'msg', ch: 'c', o: 1, p: 'join', d: { id: 'a', connections: 1 } },
  { t: 'msg', ch: 'c', o: 1, p: 'leave', d: { id: 'a', connections: 0 } },
  { t: 'msg', ch: 'c', o: 1, p: 'other', d: 1 },
];

describe('history and presence frames', () => {
  it.each(client.map((f) => [JSON.stringify(f), f]))('client frame %s: the server check agrees with zod', (_s, f) => {
    expect(isClientFrame(f)).toBe(clientFrame.safeParse(f).success);
  });
  it.each(server.map((f) => [JSON.stringify(f), f]))('server frame %s: the client check agrees with zod', (_s, f) => {
    expect(checkServerFrame(f) === undefined).toBe(serverFrame.safeParse(f).success);
  });
});
