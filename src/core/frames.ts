// The wire protocol: frame types, the client's inbound frame check and the encodings. The frames
// are defined once, as zod/mini schemas, in schemas.ts (the server validates with those). This
// module must not import or re-export them at run time: zod costs about 7 KB min+gzip, more than
// the whole WebSocket-only browser client, and even a re-export lands it in the chunk that the
// client entries share with the server. See docs/protocol.md for the flows.
import { fromBase64, toBase64 } from './base64.js';
import { CHANNEL_PATTERN } from './protocol.js';
import type { ServerFrame } from './schemas.js';

export { CHANNEL_PATTERN, MAX_HISTORY_LIMIT, PROTOCOL_VERSION } from './protocol.js';
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
  PublishFrame,
  ServerFrame,
  SubscribeFrame,
  SubscribedFrame,
  UnsubscribeFrame,
  WelcomeFrame,
} from './schemas.js';

// ---- the client's inbound check ----------------------------------------------------------------
//
// A hand-written equivalent of `serverFrame` in schemas.ts (same accept/reject decisions, checked
// by frames-check.test.ts against the zod schema): about 0.5 KB instead of zod's 7 KB in the client.

type Check = (v: unknown) => boolean;
/** A safe integer of at least `min` (zod's `int().check(gte(min))`). Also the server's client-frame check. */
export const isInt = (v: unknown, min: number): boolean => Number.isSafeInteger(v) && (v as number) >= min;
/**
 * A string of `min` to `max` code points, as zod counts them (an emoji is one); `min` is at most 1,
 * so only a string over `max` in UTF-16 units is counted. Also the server's client-frame check.
 */
export const isText = (v: unknown, min: 0 | 1, max: number): boolean =>
  typeof v === 'string' && v.length >= min && (v.length <= max || [...v].length <= max);
const int =
  (min: number): Check =>
  (v) =>
    isInt(v, min);
const str =
  (min: 0 | 1, max: number): Check =>
  (v) =>
    isText(v, min, max);
/** The last name that passed: a stream of one channel's messages or publishes skips the regex. */
let validName = '';
/** A valid channel name (`CHANNEL_PATTERN`). */
export const isChannel: Check = (v) => v === validName || (typeof v === 'string' && CHANNEL_PATTERN.test(v) && !!(validName = v));
const opt =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const id64 = str(1, 64);
const payload = { d: () => true, b: opt((v) => v instanceof Uint8Array) };

const isString: Check = (v) => typeof v === 'string';
/** An array of objects, each passing `shape` (the entries of `histd` and `presd`). */
const list =
  (shape: Record<string, Check>): Check =>
  (v) =>
    Array.isArray(v) && v.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e) && Object.keys(shape).every((k) => shape[k]!(e[k])));

/** Per frame type `t`: a check for each field (an absent field is `undefined`). */
const shapes: Record<string, Record<string, Check>> = {
  __proto__: null as never,
  welcome: { v: (v) => v === 1, sid: str(1, 4096), hb: int(1), max: int(1) },
  subd: {
    id: int(0),
    ch: isChannel,
    e: id64,
    o: int(0),
    r: (v) => typeof v === 'boolean',
    gap: opt((v) => v === 'history-trimmed' || v === 'history-lost'),
  },
  msg: { ch: isChannel, o: int(1), ...payload, p: opt((v) => v === 'join' || v === 'leave') },
  histd: { id: id64, e: id64, o: int(0), m: list({ o: int(1), b: opt(isString) }) },
  presd: { id: id64, m: list({ id: isString, connections: int(1) }), n: int(0) },
  ack: { id: id64, o: int(1) },
  err: {
    code: id64,
    msg: (v) => typeof v === 'string',
    id: opt((v) => id64(v) || int(0)(v)),
    ch: opt(isChannel),
    retry: opt(int(0)),
  },
  ping: {},
  pong: {},
};

/** Checks one server frame: undefined when valid (unknown fields are kept and ignored), else why not. */
export function checkServerFrame(v: unknown): string | undefined {
  const frame = v as Record<string, unknown>;
  const shape = v !== null && typeof v === 'object' && !Array.isArray(v) ? shapes[frame.t as string] : undefined;
  if (typeof frame?.t !== 'string' || !shape) return 'unknown frame type';
  for (const key in shape) if (!shape[key]!(frame[key])) return `invalid "${key}" in "${frame.t}"`;
  return undefined;
}

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
  if (frames.length > 10_000) return 'batch too long';
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
    if (raw.length > 10_000) return { ok: false, error: 'batch too long' };
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
