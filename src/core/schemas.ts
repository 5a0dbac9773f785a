// The wire protocol as zod/mini schemas: the one definition of every frame. The server validates
// each inbound client frame against these; the client's inbound check (`serverFrame` in frames.ts)
// is a hand-written equivalent of `serverFrame` here, kept small for the browser bundle and tested
// against this schema (frames-check.test.ts). See docs/protocol.md for the flows.
import * as z from 'zod/mini';
import { CHANNEL_PATTERN, MAX_HISTORY_LIMIT, PROTOCOL_VERSION } from './protocol.js';

const channel = z.string().check(z.regex(CHANNEL_PATTERN));
const offset = z.int().check(z.nonnegative());
const epoch = z.string().check(z.minLength(1), z.maxLength(64));
const publishId = z.string().check(z.minLength(1), z.maxLength(64));
const subscribeId = z.int().check(z.nonnegative());
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array);
/** A JSON value; `undefined` is not one. */
const json = z.custom<unknown>((v) => v !== undefined);
export const gapReason = z.enum(['history-trimmed', 'history-lost']);

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
  /** Rewind: without `since`, deliver the last `rw` messages of history first (docs/protocol.md, History and rewind). */
  rw: z.optional(z.int().check(z.positive(), z.lte(MAX_HISTORY_LIMIT))),
  /** Presence: this client's id, stable across its reconnects (docs/protocol.md, Presence). */
  pc: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  /** Presence: this client's data (any JSON value; the server bounds its size). */
  p: z.optional(json),
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
/** A history page: the newest `n` messages below offset `b`. */
export const historyFrame = z.object({
  t: z.literal('hist'),
  id: publishId,
  ch: channel,
  n: z.optional(z.int().check(z.positive(), z.lte(MAX_HISTORY_LIMIT))),
  b: z.optional(z.int().check(z.positive())),
});
/** Who is present on a channel. */
export const presenceFrame = z.object({ t: z.literal('pres'), id: publishId, ch: channel });
export const pingFrame = z.object({ t: z.literal('ping') });
export const pongFrame = z.object({ t: z.literal('pong') });

export const clientFrame = z.discriminatedUnion('t', [
  connectFrame,
  subscribeFrame,
  unsubscribeFrame,
  publishFrame,
  historyFrame,
  presenceFrame,
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
  /** Set on a presence event: `d` is the PresenceMember that joined or left (docs/protocol.md, Presence). */
  p: z.optional(z.enum(['join', 'leave'])),
});
/** One message of a history page; binary data as base64 in `b`. */
const historyEntry = z.object({ o: z.int().check(z.positive()), d: z.optional(json), b: z.optional(z.string()) });
/** The answer to `hist`: messages newest last, the epoch and the channel's latest offset. */
export const historyAnswerFrame = z.object({
  t: z.literal('histd'),
  id: publishId,
  e: epoch,
  o: offset,
  m: z.array(historyEntry),
});
const presenceMember = z.object({
  id: z.string(),
  identity: z.optional(json),
  data: z.optional(json),
  connections: z.int().check(z.positive()),
});
/** The answer to `pres`: at most the server's list cap of members, and how many there are in all. */
export const presenceAnswerFrame = z.object({
  t: z.literal('presd'),
  id: publishId,
  m: z.array(presenceMember),
  n: z.int().check(z.nonnegative()),
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
  historyAnswerFrame,
  presenceAnswerFrame,
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
export type HistoryFrame = z.infer<typeof historyFrame>;
export type PresenceFrame = z.infer<typeof presenceFrame>;
export type HistoryAnswerFrame = z.infer<typeof historyAnswerFrame>;
export type PresenceAnswerFrame = z.infer<typeof presenceAnswerFrame>;
export type AckFrame = z.infer<typeof ackFrame>;
export type ErrorFrame = z.infer<typeof errorFrame>;
export type ServerFrame = z.infer<typeof serverFrame>;
export type GapReason = z.infer<typeof gapReason>;
