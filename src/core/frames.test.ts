import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from './base64.js';
import {
  CHANNEL_PATTERN,
  PROTOCOL_VERSION,
  asBytes,
  decodeBinary,
  decodeText,
  decodeValue,
  encodeBatch,
  encodeBinary,
  encodeText,
  serverFrame,
} from './frames.js';
import {
  ackFrame,
  clientFrame,
  connectFrame,
  errorFrame,
  messageFrame,
  pingFrame,
  pongFrame,
  publishFrame,
  subscribeFrame,
  subscribedFrame,
  unsubscribeFrame,
  welcomeFrame,
} from './schemas.js';

type Case = { name: string; schema: { safeParse(v: unknown): { success: boolean } }; valid: unknown[]; invalid: unknown[] };

const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);

const cases: Case[] = [
  {
    name: 'connect',
    schema: connectFrame,
    valid: [
      { t: 'connect', v: 2 },
      { t: 'connect', v: 2, token: 'abc' },
      { t: 'connect', v: 2, token: '' },
    ],
    invalid: [
      { t: 'connect' },
      { t: 'connect', v: 1 },
      { t: 'connect', v: '1' },
      { t: 'connect', v: 2, token: 42 },
      { t: 'connect', v: 2, token: 'x'.repeat(8193) },
      { t: 'hello', v: 2 },
    ],
  },
  {
    name: 'sub',
    schema: subscribeFrame,
    valid: [
      { t: 'sub', id: 0, ch: 'chat' },
      { t: 'sub', id: 7, ch: 'room:1/a@b.c-d_e' },
      { t: 'sub', id: 7, ch: 'chat', since: { e: 'ep1', o: 0 } },
      { t: 'sub', id: 7, ch: 'chat', since: { e: 'ep1', o: 42 } },
    ],
    invalid: [
      { t: 'sub', ch: 'chat' },
      { t: 'sub', id: -1, ch: 'chat' },
      { t: 'sub', id: 1.5, ch: 'chat' },
      { t: 'sub', id: '1', ch: 'chat' },
      { t: 'sub', id: 1, ch: '' },
      { t: 'sub', id: 1, ch: 'has space' },
      { t: 'sub', id: 1, ch: 'x'.repeat(201) },
      { t: 'sub', id: 1, ch: 'chat', since: { e: 'ep1' } },
      { t: 'sub', id: 1, ch: 'chat', since: { e: '', o: 1 } },
      { t: 'sub', id: 1, ch: 'chat', since: { e: 'ep1', o: -1 } },
    ],
  },
  {
    name: 'unsub',
    schema: unsubscribeFrame,
    valid: [{ t: 'unsub', ch: 'chat' }],
    invalid: [{ t: 'unsub' }, { t: 'unsub', ch: 'a b' }, { t: 'unsub', ch: 5 }],
  },
  {
    name: 'pub',
    schema: publishFrame,
    valid: [
      { t: 'pub', id: 'p1', ch: 'chat', d: { text: 'hi' } },
      { t: 'pub', id: 'p1', ch: 'chat', d: null },
      { t: 'pub', id: 'p1', ch: 'chat', d: 0 },
      { t: 'pub', id: 'p1', ch: 'chat', b: bytes },
    ],
    invalid: [
      { t: 'pub', ch: 'chat', d: 1 },
      { t: 'pub', id: '', ch: 'chat', d: 1 },
      { t: 'pub', id: 'x'.repeat(65), ch: 'chat', d: 1 },
      { t: 'pub', id: 1, ch: 'chat', d: 1 },
      { t: 'pub', id: 'p1', ch: 'bad channel', d: 1 },
      { t: 'pub', id: 'p1', ch: 'chat', b: 'not bytes after decoding' },
      { t: 'pub', id: 'p1', ch: 'chat', b: [1, 2, 3] },
    ],
  },
  { name: 'ping', schema: pingFrame, valid: [{ t: 'ping' }], invalid: [{ t: 'pong' }, {}] },
  { name: 'pong', schema: pongFrame, valid: [{ t: 'pong' }], invalid: [{ t: 'ping' }, null] },
  {
    name: 'welcome',
    schema: welcomeFrame,
    valid: [{ t: 'welcome', v: 2, sid: 's', hb: 25000, max: 65536 }],
    invalid: [
      { t: 'welcome', v: 1, sid: 's', hb: 25000, max: 65536 },
      { t: 'welcome', v: 2, sid: '', hb: 25000, max: 65536 },
      { t: 'welcome', v: 2, sid: 's', hb: 0, max: 65536 },
      { t: 'welcome', v: 2, sid: 's', hb: 25000, max: 0 },
      { t: 'welcome', v: 2, sid: 's', hb: 2.5, max: 65536 },
      { t: 'welcome', v: 2, sid: 's', max: 65536 },
    ],
  },
  {
    name: 'subd',
    schema: subscribedFrame,
    valid: [
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 0, r: false },
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 10, r: true },
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 3, r: false, gap: 'history-trimmed' },
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 0, r: false, gap: 'history-lost' },
    ],
    invalid: [
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 0 },
      { t: 'subd', id: 1, ch: 'chat', o: 0, r: false },
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: -1, r: false },
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 0, r: 'yes' },
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 0, r: false, gap: 'other' },
    ],
  },
  {
    name: 'msg',
    schema: messageFrame,
    valid: [
      { t: 'msg', ch: 'chat', o: 1, d: { text: 'hi' } },
      { t: 'msg', ch: 'chat', o: 2, d: [1, 'two'] },
      { t: 'msg', ch: 'chat', o: 3, b: bytes },
    ],
    invalid: [
      { t: 'msg', ch: 'chat', o: 0, d: 1 },
      { t: 'msg', ch: 'chat', o: -3, d: 1 },
      { t: 'msg', ch: 'chat', o: 1.5, d: 1 },
      { t: 'msg', ch: 'chat', d: 1 },
      { t: 'msg', o: 1, d: 1 },
      { t: 'msg', ch: 'chat', o: 1, b: 'AAE=' },
    ],
  },
  {
    name: 'ack',
    schema: ackFrame,
    valid: [{ t: 'ack', id: 'p1', o: 1 }],
    invalid: [
      { t: 'ack', id: 'p1', o: 0 },
      { t: 'ack', id: 'p1' },
      { t: 'ack', o: 1 },
      { t: 'ack', id: 3, o: 1 },
    ],
  },
  {
    name: 'err',
    schema: errorFrame,
    valid: [
      { t: 'err', code: 'FORBIDDEN', msg: 'no' },
      { t: 'err', code: 'FORBIDDEN', msg: 'no', id: 'p1', ch: 'chat' },
      { t: 'err', code: 'FORBIDDEN', msg: 'no', id: 4 },
      { t: 'err', code: 'SERVER_SHUTTING_DOWN', msg: 'bye', retry: 1000 },
    ],
    invalid: [
      { t: 'err', msg: 'no' },
      { t: 'err', code: '', msg: 'no' },
      { t: 'err', code: 'X' },
      { t: 'err', code: 'X', msg: 'no', id: -1 },
      { t: 'err', code: 'X', msg: 'no', retry: -5 },
      { t: 'err', code: 'X', msg: 'no', ch: 'a b' },
    ],
  },
];

describe('frame schemas', () => {
  for (const c of cases) {
    describe(c.name, () => {
      it.each(c.valid.map((v) => [JSON.stringify(v, (_, x) => (x instanceof Uint8Array ? 'bytes' : x)), v]))('accepts %s', (_, frame) => {
        expect(c.schema.safeParse(frame).success).toBe(true);
      });
      it.each(c.invalid.map((v) => [JSON.stringify(v), v]))('rejects %s', (_, frame) => {
        expect(c.schema.safeParse(frame).success).toBe(false);
      });
    });
  }

  it('the client union takes only client frames, the server union only server frames', () => {
    for (const f of [
      { t: 'connect', v: 2 },
      { t: 'sub', id: 1, ch: 'a' },
      { t: 'unsub', ch: 'a' },
      { t: 'pub', id: 'x', ch: 'a', d: 1 },
    ]) {
      expect(clientFrame.safeParse(f).success).toBe(true);
      expect(serverFrame.safeParse(f).success).toBe(false);
    }
    for (const f of [
      { t: 'welcome', v: 2, sid: 's', hb: 1, max: 1 },
      { t: 'subd', id: 1, ch: 'a', e: 'e', o: 0, r: false },
      { t: 'msg', ch: 'a', o: 1, d: 1 },
      { t: 'ack', id: 'x', o: 1 },
      { t: 'err', code: 'X', msg: 'm' },
    ]) {
      expect(serverFrame.safeParse(f).success).toBe(true);
      expect(clientFrame.safeParse(f).success).toBe(false);
    }
    // ping and pong go both ways.
    for (const f of [{ t: 'ping' }, { t: 'pong' }]) {
      expect(clientFrame.safeParse(f).success).toBe(true);
      expect(serverFrame.safeParse(f).success).toBe(true);
    }
    for (const f of [null, 1, 'ping', [], {}, { t: 'nope' }]) {
      expect(clientFrame.safeParse(f).success).toBe(false);
      expect(serverFrame.safeParse(f).success).toBe(false);
    }
  });

  it('channel names: letters, digits and _ - . : @ /, 1–200 characters', () => {
    for (const ok of ['a', 'chat', 'room:42', 'user@example.com/inbox', 'A_b-c.d', 'x'.repeat(200)]) {
      expect(CHANNEL_PATTERN.test(ok)).toBe(true);
    }
    for (const bad of ['', ' ', 'a b', 'ü', 'a#b', 'a?b', 'x'.repeat(201), 'a\nb']) {
      expect(CHANNEL_PATTERN.test(bad)).toBe(false);
    }
  });

  it('PROTOCOL_VERSION is 2', () => {
    expect(PROTOCOL_VERSION).toBe(2);
  });
});

describe('text encoding', () => {
  it('round-trips a single frame', () => {
    const f = { t: 'msg', ch: 'chat', o: 5, d: { text: 'héllo ✓ 😀', n: [1, null, true] } };
    const decoded = decodeText(serverFrame, encodeText(f));
    expect(decoded).toEqual({ ok: true, frames: [f] });
  });

  it('round-trips a batch, in order', () => {
    const frames = [
      { t: 'subd', id: 1, ch: 'chat', e: 'ep', o: 0, r: false },
      { t: 'msg', ch: 'chat', o: 1, d: 'one' },
      { t: 'msg', ch: 'chat', o: 2, b: bytes },
      { t: 'ack', id: 'p1', o: 2 },
      { t: 'ping' },
    ];
    const text = encodeBatch(frames);
    expect(text.startsWith('[')).toBe(true);
    const decoded = decodeText(serverFrame, text);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.frames).toEqual(frames);
    expect((decoded.frames[2] as { b: Uint8Array }).b).toBeInstanceOf(Uint8Array);
  });

  it('carries binary data as base64 in "b"', () => {
    const text = encodeText({ t: 'pub', id: 'p', ch: 'c', b: bytes });
    expect(JSON.parse(text).b).toBe(Buffer.from(bytes).toString('base64'));
    const decoded = decodeText(clientFrame, text);
    expect(decoded.ok && decoded.frames[0]).toEqual({ t: 'pub', id: 'p', ch: 'c', b: bytes });
  });

  it('an empty batch decodes to no frames', () => {
    expect(decodeText(serverFrame, '[]')).toEqual({ ok: true, frames: [] });
  });

  it('rejects text that is not JSON, invalid frames, invalid base64 and oversized batches', () => {
    expect(decodeText(serverFrame, '{not json').ok).toBe(false);
    expect(decodeText(serverFrame, '').ok).toBe(false);
    expect(decodeText(serverFrame, '42').ok).toBe(false);
    expect(decodeText(serverFrame, '{"t":"msg","ch":"c","o":0,"d":1}').ok).toBe(false);
    // One bad frame spoils the whole batch.
    expect(decodeText(serverFrame, '[{"t":"ping"},{"t":"bogus"}]').ok).toBe(false);
    const bad64 = decodeText(serverFrame, '{"t":"msg","ch":"c","o":1,"b":"@@@="}');
    expect(bad64).toMatchObject({ ok: false, error: 'invalid base64 in "b"' });
    const long = decodeValue(
      clientFrame,
      Array.from({ length: 10_001 }, () => ({ t: 'ping' })),
    );
    expect(long).toMatchObject({ ok: false, error: 'batch too long' });
  });

  it('a zod failure keeps the ZodError as its cause', () => {
    const d = decodeText(clientFrame, '{"t":"sub","id":-1,"ch":"c"}');
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect((d.cause as { issues?: unknown[] }).issues?.length).toBeGreaterThan(0);
  });
});

describe('binary encoding', () => {
  it('round-trips header and raw bytes', () => {
    const all = new Uint8Array(256).map((_, i) => i); // includes 0x0A in the body
    const frame = { t: 'msg', ch: 'bin', o: 9, b: all };
    const wire = encodeBinary(frame);
    const nl = wire.indexOf(10);
    expect(JSON.parse(new TextDecoder().decode(wire.subarray(0, nl)))).toEqual({ t: 'msg', ch: 'bin', o: 9 });
    expect(wire.length).toBe(nl + 1 + all.length);
    const decoded = decodeBinary(serverFrame, wire);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const f = decoded.frames[0] as { b: Uint8Array };
    expect(f).toEqual({ t: 'msg', ch: 'bin', o: 9, b: all });
    // A plain Uint8Array copy, not a Node Buffer or a view over the input.
    expect(Object.getPrototypeOf(f.b)).toBe(Uint8Array.prototype);
    expect(f.b.buffer).not.toBe(wire.buffer);
  });

  it('round-trips an empty payload', () => {
    const frame = { t: 'pub', id: 'p', ch: 'c', b: new Uint8Array(0) };
    const decoded = decodeBinary(clientFrame, encodeBinary(frame));
    expect(decoded.ok && decoded.frames[0]).toEqual({ t: 'pub', id: 'p', ch: 'c', b: new Uint8Array(0) });
  });

  it('keeps a UTF-8 channel header intact', () => {
    const frame = { t: 'msg', ch: 'a.b', o: 1, b: bytes };
    const decoded = decodeBinary(serverFrame, encodeBinary(frame));
    expect(decoded.ok).toBe(true);
  });

  it('rejects a missing header, a non-JSON header, a batch header and a header with "b"', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(decodeBinary(serverFrame, enc('no newline at all'))).toMatchObject({ ok: false });
    expect(decodeBinary(serverFrame, enc('{oops\nxx'))).toMatchObject({ ok: false });
    expect(decodeBinary(serverFrame, enc('[{"t":"msg","ch":"c","o":1}]\nxx'))).toMatchObject({ ok: false });
    expect(decodeBinary(serverFrame, enc('{"t":"msg","ch":"c","o":1,"b":"AA=="}\nxx'))).toMatchObject({ ok: false });
    expect(decodeBinary(serverFrame, enc('null\nxx'))).toMatchObject({ ok: false });
    expect(decodeBinary(serverFrame, enc('{"t":"msg","ch":"c","o":0}\nxx'))).toMatchObject({ ok: false });
  });
});

describe('base64', () => {
  it('matches Node for every length 0–64 and every byte value', () => {
    for (let n = 0; n <= 64; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
      const b64 = toBase64(data);
      expect(b64).toBe(Buffer.from(data).toString('base64'));
      expect(fromBase64(b64)).toEqual(data);
    }
    const all = new Uint8Array(256).map((_, i) => i);
    expect(fromBase64(toBase64(all))).toEqual(all);
  });

  it('decodes the RFC 4648 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of vectors) {
      expect(toBase64(new TextEncoder().encode(plain))).toBe(enc);
      expect(new TextDecoder().decode(fromBase64(enc))).toBe(plain);
    }
  });

  it('rejects what is not standard base64', () => {
    for (const bad of ['A', 'AB', 'ABC', 'A===', '=AAA', 'AA=A', 'AB-_', 'AB c', 'ÄÄÄÄ', 'Zg=', 'Zm9v!A==']) {
      expect(fromBase64(bad), bad).toBeUndefined();
    }
  });
});

describe('asBytes', () => {
  it('copies Uint8Array, ArrayBuffer and other views into a plain Uint8Array; leaves JSON values alone', () => {
    const u8 = new Uint8Array([1, 2, 3]);
    const copy = asBytes(u8)!;
    expect(copy).toEqual(u8);
    u8[0] = 42;
    expect(copy[0]).toBe(1);
    expect(asBytes(new Uint8Array([1, 2, 3]).buffer)).toEqual(new Uint8Array([1, 2, 3]));
    const view = new DataView(new Uint8Array([9, 1, 2, 3, 9]).buffer, 1, 3);
    expect(asBytes(view)).toEqual(new Uint8Array([1, 2, 3]));
    const fromBuffer = asBytes(Buffer.from([7, 8]))!;
    expect(Object.getPrototypeOf(fromBuffer)).toBe(Uint8Array.prototype);
    expect([...fromBuffer]).toEqual([7, 8]);
    expect(asBytes({ a: 1 })).toBeUndefined();
    expect(asBytes('abc')).toBeUndefined();
    expect(asBytes(null)).toBeUndefined();
  });
});
