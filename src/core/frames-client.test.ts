// The client's side of the codec: readFrames/checkFrames (in-place check, base64 only when asked),
// binaryFrame, PublishText (a pub frame carrying its own JSON) and the channel-name check.
import { describe, expect, it } from 'vitest';
import { toBase64 } from './base64.js';
import {
  PublishText,
  batchText,
  binaryFrame,
  checkFrames,
  encodeBinary,
  encodeText,
  frameText,
  inlineBase64,
  isChannel,
  readFrames,
} from './frames.js';

describe('readFrames', () => {
  it('reads one frame or a batch, and returns the parsed objects themselves', () => {
    expect(readFrames('{"t":"ping"}')).toEqual([{ t: 'ping' }]);
    const raw = [
      { t: 'msg', ch: 'a', o: 1, d: { x: 1 } },
      { t: 'ack', id: 'p-1', o: 2 },
    ];
    expect(readFrames(JSON.stringify(raw))).toEqual(raw);
    const batch: unknown[] = [{ t: 'pong' }];
    expect(checkFrames(batch)).toBe(batch);
  });

  it('says why a message is invalid', () => {
    expect(readFrames('{nope')).toBe('not JSON');
    expect(readFrames('{"t":"bogus"}')).toBe('unknown frame type');
    expect(readFrames('[{"t":"ping"},{"t":"msg","ch":"a","o":0,"d":1}]')).toBe('invalid "o" in "msg"');
    expect(readFrames('{"t":"msg","ch":"bad name","o":1,"d":1}')).toBe('invalid "ch" in "msg"');
    expect(checkFrames(Array.from({ length: 10_001 }, () => ({ t: 'ping' })))).toBe('batch too long');
  });

  it('turns base64 "b" into bytes only with inlineBase64 (the text-only transports)', () => {
    const text = JSON.stringify({ t: 'msg', ch: 'a', o: 1, b: toBase64(new Uint8Array([1, 2, 3])) });
    expect(readFrames(text)).toBe('invalid "b" in "msg"');
    expect(readFrames(text, inlineBase64)).toEqual([{ t: 'msg', ch: 'a', o: 1, b: new Uint8Array([1, 2, 3]) }]);
    expect(readFrames('{"t":"msg","ch":"a","o":1,"b":"@@@="}', inlineBase64)).toBe('invalid base64 in "b"');
  });
});

describe('binaryFrame', () => {
  it('reads the header and copies the bytes', () => {
    const msg = { t: 'msg', ch: 'a', o: 3, b: new Uint8Array([9, 10, 11]) };
    const wire = encodeBinary(msg);
    const frame = binaryFrame(wire);
    expect(frame).toEqual({ t: 'msg', ch: 'a', o: 3, b: new Uint8Array([9, 10, 11]) });
    expect((frame as { b: Uint8Array }).b.buffer).not.toBe(wire.buffer);
    expect(checkFrames([frame])).toEqual([frame]);
  });

  it('rejects a missing, non-JSON, batch or "b"-carrying header', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    for (const bad of ['{"t":"msg"}', 'nope\n', '[{"t":"msg"}]\n', '{"t":"msg","b":1}\n', 'null\n']) {
      expect(binaryFrame(enc(bad))).toBe('invalid binary frame header');
    }
  });
});

describe('PublishText', () => {
  it('carries the JSON of the frame it is, built from the data text', () => {
    const data = { text: 'hi "there"\n', n: [1, 2] };
    const f = new PublishText('abc-1', 'room/1:x@y.z', data, JSON.stringify(data));
    expect(JSON.parse(frameText(f))).toEqual({ t: 'pub', id: 'abc-1', ch: 'room/1:x@y.z', d: data });
    expect(f).toEqual({ t: 'pub', id: 'abc-1', ch: 'room/1:x@y.z', d: data });
    expect(encodeText(f)).toBe(frameText(f));
    expect(JSON.parse(batchText([f, { t: 'unsub', ch: 'c' }]))).toEqual([
      { t: 'pub', id: 'abc-1', ch: 'room/1:x@y.z', d: data },
      { t: 'unsub', ch: 'c' },
    ]);
    expect(batchText([{ t: 'ping' }])).toBe('{"t":"ping"}');
  });
});

describe('isChannel', () => {
  it('accepts valid names, also again (remembered), and rejects others', () => {
    expect(isChannel('chat')).toBe(true);
    expect(isChannel('chat')).toBe(true);
    expect(isChannel('other')).toBe(true);
    for (const bad of ['', 'a b', 'x'.repeat(201), 42, undefined, 'é']) expect(isChannel(bad)).toBe(false);
    expect(isChannel('chat')).toBe(true);
  });
});
