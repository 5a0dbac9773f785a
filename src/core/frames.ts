// The wire protocol: every frame is defined once here as a zod/mini schema and validated at each
// boundary (client and server). See docs/protocol.md for the flows.
import * as z from 'zod/mini';
import { fromBase64, toBase64 } from './base64.js';

/** Protocol version carried by `connect` and `welcome`. */
export const PROTOCOL_VERSION = 1;

/** Channel names: 1–200 characters of letters, digits and `_ - . : @ /`. */
export const CHANNEL_PATTERN = /^[\w\-.:@/]{1,200}$/;

const channel = z.string().check(z.regex(CHANNEL_PATTERN));
const offset = z.int().check(z.nonnegative());
const epoch = z.string().check(z.minLength(1), z.maxLength(64));
const publishId = z.string().check(z.minLength(1), z.maxLength(64));
const subscribeId = z.int().check(z.nonnegative());
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array);
/** A JSON value; `undefined` is not one. */
const json = z.custom<unknown>((v) => v !== undefined);
const gapReason = z.enum(['history-trimmed', 'history-lost']);

// ---- client → server -------------------------------------------------------------------------

export const connectFrame = z.object({
  t: z.literal('connect'),
  v: z.literal(PROTOCOL_VERSION),
  token: z.optional(z.string().check(z.maxLength(8192))),
});
export const subscribeFrame = z.object({
  t: z.literal('sub'),
  id: subscribeId,
  ch: channel,
  /** Resume point: the last offset this client delivered, in that epoch. */
  since: z.optional(z.object({ e: epoch, o: offset })),
});
export const unsubscribeFrame = z.object({ t: z.literal('unsub'), ch: channel });
export const publishFrame = z.object({
  t: z.literal('pub'),
  /** Client-generated, unique per client: the server stores a retried publish once. */
  id: publishId,
  ch: channel,
  d: z.optional(json),
  b: z.optional(bytes),
});
export const pingFrame = z.object({ t: z.literal('ping') });
export const pongFrame = z.object({ t: z.literal('pong') });

export const clientFrame = z.discriminatedUnion('t', [
  connectFrame,
  subscribeFrame,
  unsubscribeFrame,
  publishFrame,
  pingFrame,
  pongFrame,
]);

// ---- server → client -------------------------------------------------------------------------

export const welcomeFrame = z.object({
  t: z.literal('welcome'),
  v: z.literal(PROTOCOL_VERSION),
  /** Session id; on HTTP transports a signed token that every request carries. */
  sid: z.string().check(z.minLength(1), z.maxLength(4096)),
  /** Heartbeat interval in ms. */
  hb: z.int().check(z.positive()),
  /** maxPayload in bytes. */
  max: z.int().check(z.positive()),
});
export const subscribedFrame = z.object({
  t: z.literal('subd'),
  id: subscribeId,
  ch: channel,
  e: epoch,
  /** Delivery continues after this offset (replayed messages, if any, follow this frame). */
  o: offset,
  /** True when the requested resume point was covered by history. */
  r: z.boolean(),
  gap: z.optional(gapReason),
});
export const messageFrame = z.object({
  t: z.literal('msg'),
  ch: channel,
  o: z.int().check(z.positive()),
  d: z.optional(json),
  b: z.optional(bytes),
});
export const ackFrame = z.object({ t: z.literal('ack'), id: publishId, o: z.int().check(z.positive()) });
export const errorFrame = z.object({
  t: z.literal('err'),
  code: z.string().check(z.minLength(1), z.maxLength(64)),
  msg: z.string(),
  /** The id of the `pub` or `sub` this answers, when it answers one. */
  id: z.optional(z.union([publishId, subscribeId])),
  ch: z.optional(channel),
  /** Hint in ms before retrying (rate limits, shutdown). */
  retry: z.optional(z.int().check(z.nonnegative())),
});

export const serverFrame = z.discriminatedUnion('t', [
  welcomeFrame,
  subscribedFrame,
  messageFrame,
  ackFrame,
  errorFrame,
  pingFrame,
  pongFrame,
]);

export type ConnectFrame = z.infer<typeof connectFrame>;
export type SubscribeFrame = z.infer<typeof subscribeFrame>;
export type UnsubscribeFrame = z.infer<typeof unsubscribeFrame>;
export type PublishFrame = z.infer<typeof publishFrame>;
export type ClientFrame = z.infer<typeof clientFrame>;
export type WelcomeFrame = z.infer<typeof welcomeFrame>;
export type SubscribedFrame = z.infer<typeof subscribedFrame>;
export type MessageFrame = z.infer<typeof messageFrame>;
export type AckFrame = z.infer<typeof ackFrame>;
export type ErrorFrame = z.infer<typeof errorFrame>;
export type ServerFrame = z.infer<typeof serverFrame>;
export type GapReason = z.infer<typeof gapReason>;

// ---- encoding ---------------------------------------------------------------------------------
//
// Text form: a JSON object, or a JSON array of them (a batch). Binary data is base64 in `b`.
// Binary form (WebSocket only): UTF-8 JSON header of one frame, a "\n" byte, then the raw bytes of
// `b`. JSON.stringify never emits a raw newline, so the first 0x0A ends the header.

/** The result of decoding: frames that passed the schema, or the reason they did not. */
export type Decoded<F> = { ok: true; frames: F[] } | { ok: false; error: string; cause?: unknown };

type Schema<F> = { safeParse(v: unknown): { success: true; data: F } | { success: false; error: unknown } };

function validate<F>(schema: Schema<F>, raw: unknown[]): Decoded<F> {
  const frames: F[] = [];
  for (const item of raw) {
    if (item !== null && typeof item === 'object' && typeof (item as { b?: unknown }).b === 'string') {
      const bin = fromBase64((item as { b: string }).b);
      if (!bin) return { ok: false, error: 'invalid base64 in "b"' };
      (item as { b: unknown }).b = bin;
    }
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
  const nl = data.indexOf(10);
  if (nl < 0) return { ok: false, error: 'binary frame without header' };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(data.subarray(0, nl)));
  } catch (cause) {
    return { ok: false, error: 'binary frame header is not JSON', cause };
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header) || 'b' in header) {
    return { ok: false, error: 'binary frame header must be one frame without "b"' };
  }
  // A plain Uint8Array copy: never a Node Buffer view over the socket's memory.
  (header as { b: Uint8Array }).b = new Uint8Array(data.subarray(nl + 1));
  return validate(schema, [header]);
}

/** JSON text of a frame, binary data inlined as base64 (for text-only transports). */
export function encodeText(frame: object): string {
  const b = (frame as { b?: unknown }).b;
  if (b instanceof Uint8Array) return JSON.stringify({ ...frame, b: toBase64(b) });
  return JSON.stringify(frame);
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

/** Normalises user binary data to a Uint8Array view; anything else is returned as is. */
export function asBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}
