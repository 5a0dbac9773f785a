// The wire grammar: every frame of the protocol, both directions, defined once. Each frame type is
// a hand-written interface below and one line in `clientFrames` or `serverFrames`, the tables of
// field rules that both sides check with (`frameCheck`); the server's zod schemas are built from
// the same tables (schemas.ts). Adding a frame type is adding its interface, its union member and
// its table line here (docs/protocol.md, "Adding a frame type"); the typing of the tables makes a
// field missing on either side a compile error.
import { CHANNEL_PATTERN, MAX_CODE, MAX_ID, MAX_SID, MAX_TOKEN, PROTOCOL_VERSION } from './protocol.js';

// ---- frame types -------------------------------------------------------------------------------

export type GapReason = 'history-trimmed' | 'history-lost';

/** A resume point: the last offset delivered, in that epoch. */
export interface Since {
  e: string;
  o: number;
}

export interface ConnectFrame {
  t: 'connect';
  v: typeof PROTOCOL_VERSION;
  token?: string | undefined;
}
export interface SubscribeFrame {
  t: 'sub';
  id: number;
  ch: string;
  /** Resume point: the last offset this client delivered, in that epoch. */
  since?: Since | undefined;
  /** Rewind: without `since`, the last `rw` messages first (docs/protocol.md, History and rewind; capped at 1000). */
  rw?: number | undefined;
  /** Presence: this client's id, stable across its reconnects (docs/protocol.md, Presence). */
  pc?: string | undefined;
  /** Presence: this client's data (any JSON value; the server bounds its size). */
  p?: unknown;
}
export interface UnsubscribeFrame {
  t: 'unsub';
  ch: string;
}
export interface PublishFrame {
  t: 'pub';
  /** Client-generated, unique per client: the server stores a retried publish once. */
  id: string;
  ch: string;
  d?: unknown;
  b?: Uint8Array | undefined;
}
/** A history page: the newest `n` messages (capped at 1000) below offset `b`. */
export interface HistoryFrame {
  t: 'hist';
  id: string;
  ch: string;
  n?: number | undefined;
  b?: number | undefined;
}
/** Who is present on a channel. */
export interface PresenceFrame {
  t: 'pres';
  id: string;
  ch: string;
}
export interface PingFrame {
  t: 'ping';
}
export interface PongFrame {
  t: 'pong';
}
/** A fresh token for the open connection (token refresh; answered by `authd`). */
export interface AuthFrame {
  t: 'auth';
  token: string;
}
export type ClientFrame =
  ConnectFrame | SubscribeFrame | UnsubscribeFrame | PublishFrame | HistoryFrame | PresenceFrame | PingFrame | PongFrame | AuthFrame;

export interface WelcomeFrame {
  t: 'welcome';
  v: typeof PROTOCOL_VERSION;
  /** Session id; on HTTP transports a signed token that every request carries. */
  sid: string;
  /** Heartbeat interval in ms. */
  hb: number;
  /** maxPayload in bytes. */
  max: number;
  /** The identity's expiry (seconds since the epoch) when it has one: refresh the token before it. */
  exp?: number | undefined;
}
export interface SubscribedFrame {
  t: 'subd';
  id: number;
  ch: string;
  e: string;
  /** Delivery continues after this offset (replayed messages, if any, follow this frame). */
  o: number;
  /** True when the requested resume point was covered by history. */
  r: boolean;
  gap?: GapReason | undefined;
}
export interface MessageFrame {
  t: 'msg';
  ch: string;
  o: number;
  d?: unknown;
  b?: Uint8Array | undefined;
  /** Set on a presence event: `d` is the member that joined or left (docs/protocol.md, Presence). */
  p?: 'join' | 'leave' | undefined;
}
/** The answer to `hist`: messages newest last (binary data as base64 in `b`), the epoch, the latest offset. */
export interface HistoryAnswerFrame {
  t: 'histd';
  id: string;
  e: string;
  o: number;
  m: Array<{ o: number; d?: unknown; b?: string | undefined }>;
}
/** The answer to `pres`: at most 1,000 members, and how many there are in all. */
export interface PresenceAnswerFrame {
  t: 'presd';
  id: string;
  m: Array<{ id: string; identity?: unknown; data?: unknown; connections: number }>;
  n: number;
}
export interface AckFrame {
  t: 'ack';
  id: string;
  o: number;
}
export interface ErrorFrame {
  t: 'err';
  code: string;
  msg: string;
  /** The id of the `pub` or `sub` this answers, when it answers one. */
  id?: string | number | undefined;
  ch?: string | undefined;
  /** Hint in ms before retrying (rate limits, shutdown). */
  retry?: number | undefined;
}
/**
 * The answer to `auth`: accepted (`exp`: the new expiry, seconds, when there is one; `sid`: the
 * session id to use from now on, HTTP transports) or refused (`code` and `msg`; the connection
 * stays valid until the old expiry).
 */
export interface AuthedFrame {
  t: 'authd';
  exp?: number | undefined;
  sid?: string | undefined;
  code?: string | undefined;
  msg?: string | undefined;
}
export type ServerFrame =
  | WelcomeFrame
  | SubscribedFrame
  | MessageFrame
  | HistoryAnswerFrame
  | PresenceAnswerFrame
  | AckFrame
  | ErrorFrame
  | PingFrame
  | PongFrame
  | AuthedFrame;

// ---- field rules -------------------------------------------------------------------------------

type Check = (v: unknown) => boolean;

/**
 * The rule for one field: its check, carrying what it checks (`k` and its parameters), which the
 * server's zod schemas are built from. `o` marks an optional one (absent or `undefined`).
 */
export type Field = Check & { readonly o?: true } & (
    | { readonly k: 'int'; readonly min: number } // a safe integer ≥ min
    | { readonly k: 'str'; readonly min: 0 | 1; readonly max: number } // min..max code points, as zod counts them
    | { readonly k: 'ch' } // a channel name (CHANNEL_PATTERN)
    | { readonly k: 'lit'; readonly v: string | number | boolean }
    | { readonly k: 'bool' }
    | { readonly k: 'json' } // any JSON value: anything but undefined
    | { readonly k: 'bytes' } // a Uint8Array (base64 is decoded before the check)
    | { readonly k: 'enum'; readonly of: readonly string[] }
    | { readonly k: 'obj'; readonly shape: Readonly<Record<string, Field>> }
    | { readonly k: 'or'; readonly of: readonly Field[] }
    | { readonly k: 'list'; readonly of: Field } // an array, every item passing `of`
  );

/** Rules for every field but `t` of frame `F`: no field left out, none extra, optional as in `F`. */
export type Shape<F> = { readonly [K in Exclude<keyof F, 't'>]-?: undefined extends F[K] ? Field & { o: true } : Field & { o?: never } };
/** One shape per frame type of the union `U`. */
export type Grammar<U extends { t: string }> = { readonly [T in U['t']]: Shape<Extract<U, { t: T }>> };

/** A safe integer of at least `min` (zod's `int().check(gte(min))`). */
export const isInt = (v: unknown, min: number): boolean => Number.isSafeInteger(v) && (v as number) >= min;
/**
 * A string of `min` to `max` code points, as zod counts them (an emoji is one); `min` is at most 1,
 * so only a string over `max` in UTF-16 units is counted.
 */
export const isText = (v: unknown, min: 0 | 1, max: number): boolean =>
  typeof v === 'string' && v.length >= min && (v.length <= max || [...v].length <= max);
/**
 * The last name that passed: a stream of one channel's messages or publishes skips the regex. It
 * starts as a value no frame can hold (an empty string would let `''` through on a fresh process).
 */
let validName: unknown = NaN;
/** A valid channel name (`CHANNEL_PATTERN`). */
export const isChannel: Check = (v) => v === validName || (typeof v === 'string' && CHANNEL_PATTERN.test(v) && !!(validName = v));
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const rule = /* @__NO_SIDE_EFFECTS__ */ <M extends object>(check: Check, meta: M): Check & M => Object.assign(check, meta);
const int = /* @__NO_SIDE_EFFECTS__ */ (min: number) => rule((v) => isInt(v, min), { k: 'int', min } as const);
const str = /* @__NO_SIDE_EFFECTS__ */ (min: 0 | 1, max: number) => rule((v) => isText(v, min, max), { k: 'str', min, max } as const);
const lit = /* @__NO_SIDE_EFFECTS__ */ (v: string | number | boolean) => rule((x) => x === v, { k: 'lit', v } as const);
const opt = /* @__NO_SIDE_EFFECTS__ */ <F extends Field>(f: F): F & { o: true } =>
  rule((v) => v === undefined || f(v), { ...f, o: true as const });
const ch = rule((v) => isChannel(v), { k: 'ch' } as const);
const offset = int(0);
const id = str(1, MAX_ID);
const subId = int(0);
const bool = rule((v) => typeof v === 'boolean', { k: 'bool' } as const);
const oneOf = /* @__NO_SIDE_EFFECTS__ */ (of: readonly string[]) => rule((v) => of.includes(v as string), { k: 'enum', of } as const);
const or = /* @__NO_SIDE_EFFECTS__ */ (...of: Field[]) => rule((v) => of.some((f) => f(v)), { k: 'or', of } as const);
const obj = /* @__NO_SIDE_EFFECTS__ */ (shape: Readonly<Record<string, Field>>) => {
  const w = walk(shape);
  return rule((v) => isRecord(v) && failing(w, v) === undefined, { k: 'obj', shape } as const);
};
const list = /* @__NO_SIDE_EFFECTS__ */ (of: Field) => rule((v) => Array.isArray(v) && v.every((x) => of(x)), { k: 'list', of } as const);
const d = opt(rule((v) => v !== undefined, { k: 'json' } as const));
const text = str(0, Infinity);
const b = opt(rule((v) => v instanceof Uint8Array, { k: 'bytes' } as const));

/** Client → server. */
export const clientFrames: Grammar<ClientFrame> = {
  connect: { v: lit(PROTOCOL_VERSION), token: opt(str(0, MAX_TOKEN)) },
  sub: { id: subId, ch, since: opt(obj({ e: id, o: offset })), rw: opt(int(1)), pc: opt(id), p: d },
  unsub: { ch },
  pub: { id, ch, d, b },
  hist: { id, ch, n: opt(int(1)), b: opt(int(1)) },
  pres: { id, ch },
  ping: {},
  pong: {},
  auth: { token: str(0, MAX_TOKEN) },
};

/** Server → client. */
export const serverFrames: Grammar<ServerFrame> = {
  welcome: { v: lit(PROTOCOL_VERSION), sid: str(1, MAX_SID), hb: int(1), max: int(1), exp: opt(int(0)) },
  subd: { id: subId, ch, e: id, o: offset, r: bool, gap: opt(oneOf(['history-trimmed', 'history-lost'])) },
  msg: { ch, o: int(1), d, b, p: opt(oneOf(['join', 'leave'])) },
  histd: { id, e: id, o: offset, m: list(obj({ o: int(1), d, b: opt(text) })) },
  presd: { id, m: list(obj({ id: text, connections: int(1) })), n: int(0) },
  ack: { id, o: int(1) },
  err: { code: str(1, MAX_CODE), msg: str(0, Infinity), id: opt(or(id, subId)), ch: opt(ch), retry: opt(int(0)) },
  ping: {},
  pong: {},
  authd: { exp: opt(int(0)), sid: opt(str(1, MAX_SID)), code: opt(str(1, MAX_CODE)), msg: opt(str(0, Infinity)) },
};

// ---- the check -----------------------------------------------------------------------------------

/** A shape as the check walks it: keys and rules side by side (an array walk, not a for-in per frame). */
type Walk = [keys: string[], rules: Field[]];
function walk(shape: Readonly<Record<string, Field>>): Walk {
  return [Object.keys(shape), Object.values(shape)];
}

/** The first field of `v` that breaks its rule. */
function failing([keys, rules]: Walk, v: Record<string, unknown>): string | undefined {
  for (let i = 0; i < keys.length; i++) if (!rules[i]!(v[keys[i]!])) return keys[i];
  return undefined;
}

/**
 * The check of one direction's frames: undefined when `v` is a valid frame (unknown fields are kept
 * and ignored), else why not. The same decisions as the zod schemas built from the same table.
 */
export const frameCheck =
  /* @__NO_SIDE_EFFECTS__ */
  (grammar: Readonly<Record<string, Readonly<Record<string, Field>>>>) => {
    const shapes = new Map(Object.entries(grammar).map(([t, shape]) => [t, walk(shape)]));
    return (v: unknown): string | undefined => {
      const t = isRecord(v) ? v.t : undefined;
      const shape = shapes.get(t as string);
      if (!shape) return 'unknown frame type';
      const bad = failing(shape, v as Record<string, unknown>);
      return bad === undefined ? undefined : `invalid "${bad}" in "${t as string}"`;
    };
  };
