// The codec of the wire protocol: the client's inbound frame check and the encodings. The frames
// themselves (types, field rules, the one check) are defined once in grammar.ts; the server's zod
// schemas (schemas.ts) are built from the same rules. This module must not import zod: it costs
// about 7 KB min+gzip, more than the whole WebSocket-only browser client. See docs/protocol.md.
import { fromBase64, toBase64 } from './base64.js';
import { frameCheck, serverFrames, type ServerFrame } from './grammar.js';
import { MAX_BATCH } from './protocol.js';

export { CHANNEL_PATTERN, MAX_BATCH, MAX_HISTORY_LIMIT, PROTOCOL_VERSION } from './protocol.js';
export { isChannel, isInt, isText } from './grammar.js';
export type {
  AckFrame,
  ClientFrame,
  ConnectFrame,
  ErrorFrame,
  GapReason,
  HistoryAnswerFrame,
  HistoryFrame,
  MessageFrame,
  PresenceAnswerFrame,
  PresenceFrame,
  PingFrame,
  PongFrame,
  PublishFrame,
  ServerFrame,
  Since,
  SubscribeFrame,
  SubscribedFrame,
  UnsubscribeFrame,
  WelcomeFrame,
} from './grammar.js';

/** Checks one server frame: undefined when valid (unknown fields are kept and ignored), else why not. */
export const checkServerFrame = frameCheck(serverFrames);

/** `checkServerFrame` in the `safeParse` shape of a zod schema, so the generic decoders take it. */
export const serverFrame = {
  safeParse(v: unknown): { success: true; data: ServerFrame } | { success: false; error: string } {
    const error = checkServerFrame(v);
    return error === undefined ? { success: true, data: v as ServerFrame } : { success: false, error };
  },
};

// ---- the client's decoding -------------------------------------------------------------------

/**
 * Server frames from the JSON text of a message or response (one frame or a batch), each checked;
 * the frames, or why they are invalid. `inline` turns base64 `b` into bytes: only the text-only
 * transports pass `inlineBase64`, so the WebSocket-only bundle carries no base64 decoder.
 */
export function readFrames(text: string, inline?: (frame: unknown) => boolean): ServerFrame[] | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  return checkFrames(Array.isArray(raw) ? raw : [raw], inline);
}

/** Checks decoded server frames in place (see `readFrames`). */
export function checkFrames(frames: unknown[], inline?: (frame: unknown) => boolean): ServerFrame[] | string {
  if (frames.length > MAX_BATCH) return 'batch too long';
  for (const f of frames) {
    if (inline && !inline(f)) return 'invalid base64 in "b"';
    const error = checkServerFrame(f);
    if (error) return error;
  }
  return frames as ServerFrame[];
}

// ---- encoding ---------------------------------------------------------------------------------
//
// Text form: a JSON object, or a JSON array of them (a batch). Binary data is base64 in `b`.
// Binary form (WebSocket only): UTF-8 JSON header of one frame, a "\n" byte, then the raw bytes of
// `b`. JSON.stringify never emits a raw newline, so the first 0x0A ends the header.

/** The result of decoding: frames that passed the schema, or the reason they did not. */
export type Decoded<F> = { ok: true; frames: F[] } | { ok: false; error: string; cause?: unknown };

type Schema<F> = { safeParse(v: unknown): { success: true; data: F } | { success: false; error: unknown } };

/** Turns a base64 string in `b` into bytes, in place; false when it is not valid base64. */
export function inlineBase64(item: unknown): boolean {
  const b = (item as { b?: unknown } | null)?.b;
  if (typeof b !== 'string') return true;
  const bin = fromBase64(b);
  if (bin) (item as { b: unknown }).b = bin;
  return !!bin;
}

function validate<F>(schema: Schema<F>, raw: unknown[]): Decoded<F> {
  const frames: F[] = [];
  for (const item of raw) {
    if (!inlineBase64(item)) return { ok: false, error: 'invalid base64 in "b"' };
    const result = schema.safeParse(item);
    if (!result.success) return { ok: false, error: 'invalid frame', cause: result.error };
    frames.push(result.data);
  }
  return { ok: true, frames };
}

/** Decodes a text message (one frame or a batch) against a schema. */
export function decodeText<F>(schema: Schema<F>, text: string): Decoded<F> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    return { ok: false, error: 'not JSON', cause };
  }
  return decodeValue(schema, raw);
}

/** Decodes an already-parsed JSON value (one frame or a batch). */
export function decodeValue<F>(schema: Schema<F>, raw: unknown): Decoded<F> {
  if (Array.isArray(raw)) {
    if (raw.length > MAX_BATCH) return { ok: false, error: 'batch too long' };
    return validate(schema, raw);
  }
  return validate(schema, [raw]);
}

/** Decodes a binary WebSocket message: JSON header, "\n", raw bytes for `b`. */
export function decodeBinary<F>(schema: Schema<F>, data: Uint8Array): Decoded<F> {
  const frame = binaryFrame(data);
  return typeof frame === 'string' ? { ok: false, error: frame } : validate(schema, [frame]);
}

/** The one frame of a binary WebSocket message, its `b` set to the bytes; else why it is invalid. */
export function binaryFrame(data: Uint8Array): object | string {
  const nl = data.indexOf(10);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(data.subarray(0, nl)));
  } catch {
    // nl < 0 decodes the whole message: a header without its "\n" never parses as one frame below.
  }
  if (nl < 0 || header === null || typeof header !== 'object' || Array.isArray(header) || 'b' in header) {
    return 'invalid binary frame header';
  }
  // A plain Uint8Array copy: never a view over the socket's memory.
  (header as { b: Uint8Array }).b = new Uint8Array(data.subarray(nl + 1));
  return header;
}

/**
 * A `pub` frame that carries its own JSON text: `publish()` stringifies the data anyway to measure
 * it, so the transports send this text instead of stringifying the data a second time.
 */
export class PublishText {
  readonly t = 'pub' as const;
  readonly id: string;
  readonly ch: string;
  readonly d: unknown;
  readonly #json: string;

  constructor(id: string, ch: string, d: unknown, text: string) {
    this.id = id;
    this.ch = ch;
    this.d = d;
    // Neither the publisher's ids nor valid channel names hold a character JSON would escape.
    this.#json = `{"t":"pub","id":"${id}","ch":"${ch}","d":${text}}`;
  }

  get json(): string {
    return this.#json;
  }
}

/**
 * Publish frames whose promise already rejected with TIMEOUT: a transport that still holds one in
 * its outbox drops it instead of sending it (the app was told it failed).
 */
export const expired = new WeakSet<object>();

/** JSON text of a frame without binary data. */
export function frameText(frame: object): string {
  return frame instanceof PublishText ? frame.json : JSON.stringify(frame);
}

/** JSON text of a frame, or of a batch of them. */
export function batchText(frames: readonly object[]): string {
  return frames.length === 1 ? frameText(frames[0]!) : '[' + frames.map(frameText).join(',') + ']';
}

/** JSON text of a frame, binary data inlined as base64 (for text-only transports). */
export function encodeText(frame: object): string {
  const b = (frame as { b?: unknown }).b;
  if (b instanceof Uint8Array) return JSON.stringify({ ...frame, b: toBase64(b) });
  return frameText(frame);
}

/** JSON text of a batch of frames, binary data inlined as base64. */
export function encodeBatch(frames: readonly object[]): string {
  return '[' + frames.map(encodeText).join(',') + ']';
}

/** Binary form of a frame carrying `b`: header JSON, "\n", the bytes. */
export function encodeBinary(frame: object & { b: Uint8Array }): Uint8Array {
  const { b, ...header } = frame;
  const head = new TextEncoder().encode(JSON.stringify(header) + '\n');
  const out = new Uint8Array(head.length + b.length);
  out.set(head, 0);
  out.set(b, head.length);
  return out;
}

/**
 * A private copy of user binary data as a plain Uint8Array; undefined for anything else. A copy,
 * because a publish may wait in the queue and be resent after a reconnect: it must carry the
 * bytes as they were when `publish()` was called, even if the app reuses its buffer.
 */
export function asBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return undefined;
}
