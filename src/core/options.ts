import type { TransportName } from './transport.js';
import { defaultReconnect, type ReconnectOptions } from './backoff.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** Options of `createClient`. Every field but `url` is optional. */
export interface ClientOptions {
  /**
   * The server endpoint, e.g. `http://localhost:8080/anywire`. `ws(s)://` is derived from it for
   * WebSocket. Required.
   */
  url: string;
  /** The fallback ladder, tried in order. Default: `['websocket', 'sse', 'long-polling', 'polling']`. */
  transports?: readonly TransportName[];
  /**
   * A token, or a (async) function called on every (re)connect attempt for a fresh one. A function
   * is also called ahead of the identity's expiry, when the server announces one, and its token is
   * handed over on the open connection (no reconnect; see docs/operations.md). Default: none (no
   * token is sent).
   */
  token?: string | (() => string | Promise<string>);
  /** ms a transport may take to open and complete the handshake before the next rung is tried. Default: 5000. */
  connectTimeout?: number;
  /** Reconnect policy, partial allowed, or `false` for none. Default: see `ReconnectOptions`. */
  reconnect?: Partial<ReconnectOptions> | false;
  /** ms between requests of short polling. Default: 2000. */
  pollInterval?: number;
  /** Connect as soon as the client is created. Default: true. */
  autoConnect?: boolean;
  /** ms before an unacknowledged publish rejects with TIMEOUT. Default: 10000. */
  publishTimeout?: number;
  /**
   * Publishes waiting for their ack, queued while disconnected or in flight; beyond it `publish`
   * rejects with RATE_LIMITED. Default: 10000.
   */
  maxQueuedPublishes?: number;
  /** While on a lower rung, ms between background probes of the higher ones. Default: 30000. */
  upgradeInterval?: number;
  /**
   * Browser only: share one connection among this origin's tabs with the same `url`, token and
   * key (`true`, or a string naming the group). Default: false. See docs/browser.md.
   */
  shareConnection?: boolean | string;
}

/** Options of `client.subscribe()`. */
export interface SubscribeOptions<S extends StandardSchemaV1 = StandardSchemaV1> {
  /**
   * Any Standard Schema (zod 4, valibot, arktype…). Every message is checked: one that fails is not
   * passed to the handler; the subscription emits `error` (BAD_REQUEST) and delivery goes on. The
   * handler receives the schema's output, and is typed by it. Default: none (nothing is checked).
   */
  schema?: S;
  /**
   * Deliver the last `rewind` messages of the channel's history first, then live ones: no gap and
   * no duplicate between them. Applies when the channel's first subscription of this client is
   * made; capped at 1000 and at what history holds. Default: none (live messages only).
   */
  rewind?: number;
  /** This client's presence data on the channel (any JSON value, at most 1 KiB), when the server enables presence there. Default: none. */
  presence?: unknown;
}

/** Options of `client.publish()`. */
export interface PublishOptions<S extends StandardSchemaV1 = StandardSchemaV1> {
  /**
   * Any Standard Schema: the data is checked before it leaves; a failure rejects with BAD_REQUEST
   * and nothing is sent. Default: none (nothing is checked; the server still checks its own).
   */
  schema?: S;
}

export interface ResolvedOptions extends Required<Omit<ClientOptions, 'token' | 'reconnect' | 'shareConnection'>> {
  token: ClientOptions['token'];
  reconnect: ReconnectOptions | false;
}

export const allTransports: readonly TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

const defaults = {
  transports: allTransports,
  connectTimeout: 5000,
  pollInterval: 2000,
  autoConnect: true,
  publishTimeout: 10_000,
  maxQueuedPublishes: 10_000,
  upgradeInterval: 30_000,
};

export function resolveOptions(o: ClientOptions): ResolvedOptions {
  if (!/^(https?|wss?):\/\//i.test(o?.url)) {
    throw new TypeError('anywire: createClient({ url }) needs an http(s):// or ws(s):// url');
  }
  const r = { ...defaults } as ResolvedOptions & Record<string, unknown>;
  // An option given as undefined takes its default, as an absent one does.
  for (const [key, value] of Object.entries(o)) if (value !== undefined) r[key] = value;
  if (r.transports.length === 0) throw new TypeError('anywire: `transports` must list at least one transport');
  for (const t of r.transports) {
    if (!allTransports.includes(t)) throw new TypeError(`anywire: unknown transport "${String(t)}"`);
  }
  r.url = String(o.url).replace(/\/+$/, '');
  r.reconnect = o.reconnect === false ? false : { ...defaultReconnect, ...o.reconnect };
  return r;
}
