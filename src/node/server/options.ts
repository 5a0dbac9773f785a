import type { IncomingMessage } from 'node:http';
import type { TransportName } from '../../adapters/types.js';
import type { Broker, HistoryOptions } from './brokers/types.js';

/** Whatever `authenticate` returns: the server hands it back to `authorize` and events. */
export type Identity = unknown;

export interface AuthorizeContext {
  identity: Identity;
  channel: string;
  action: 'subscribe' | 'publish';
}

export interface ServerOptions {
  /** URL path the server handles; other paths are left to the host. Default: '/anywire'. */
  path?: string;
  /** Storage and fan-out. Default: `memoryBroker()`. */
  broker?: Broker;
  /** Transports served. Default: all four. */
  transports?: readonly TransportName[];
  /**
   * Called on every (re)connect with the client's token. Return an identity; throw or return
   * null/undefined to refuse with UNAUTHORIZED. Default: everyone is allowed, identity `null`.
   */
  authenticate?: (ctx: { token: string | undefined; request: IncomingMessage }) => Identity | Promise<Identity>;
  /**
   * Called once per connection, channel and action (the answer is cached for the connection; on
   * HTTP transports for `authCacheTtl`). Return false to refuse with FORBIDDEN. Default: allow.
   */
  authorize?: (ctx: AuthorizeContext) => boolean | Promise<boolean>;
  /**
   * Browser origins allowed (WebSocket and HTTP/CORS). Requests without an Origin and same-origin
   * requests are always allowed; `'*'` allows every origin. Default: none besides those.
   */
  allowedOrigins?: readonly string[];
  /** Per-channel history used for recovery. Default: `{ size: 1000, ttl: 120_000 }`. */
  history?: Partial<HistoryOptions>;
  /** ms between heartbeats; a peer silent for two intervals is dropped. Default: 25000. */
  heartbeatInterval?: number;
  /** Largest message data in bytes (UTF-8 of its JSON, or binary length). Default: 65536. */
  maxPayload?: number;
  /** Inbound frames per connection per second, or false for no limit. Default: 20000. */
  rateLimit?: number | false;
  /** Bytes queued for one client before it is dropped as a slow consumer (it then resumes from history). Default: 8 MiB. */
  maxBufferedBytes?: number;
  /** HMAC secret for HTTP session ids; set the same one on every server behind a load balancer. Default: random per process. */
  secret?: string;
  /** ms an HTTP session id stays valid (the client renews it by reconnecting). Default: 3600000. */
  sessionTtl?: number;
  /** ms a long poll is held open when nothing arrives. Default: 25000. */
  longPollTimeout?: number;
  /** ms an `authorize` answer is reused across the HTTP requests of one session. Default: 60000. */
  authCacheTtl?: number;
  /** ms a client may take between the WebSocket opening and its connect frame. Default: 10000. */
  handshakeTimeout?: number;
  /** Reconnect delay hint sent to clients by `close()`, in ms. Default: 1000. */
  shutdownRetryAfter?: number;
  /**
   * Presence (who is subscribed) on every channel (`true`) or on those a function picks. Its joins
   * and leaves are kept in the channel's history beside the messages. See docs/presence.md.
   * Default: false.
   * @example presence: (channel) => channel.startsWith('room:')
   */
  presence?: boolean | ((channel: string) => boolean);
  /**
   * ms a client's presence outlives its last sign of life: a reconnect, a transport change or a
   * move to another server within it is neither a leave nor a join. Default: 10000.
   */
  presenceGrace?: number;
}

export interface ResolvedServerOptions {
  path: string;
  transports: readonly TransportName[];
  authenticate: NonNullable<ServerOptions['authenticate']> | undefined;
  authorize: NonNullable<ServerOptions['authorize']> | undefined;
  allowedOrigins: readonly string[];
  history: HistoryOptions;
  heartbeatInterval: number;
  maxPayload: number;
  rateLimit: number | false;
  maxBufferedBytes: number;
  secret: string | undefined;
  sessionTtl: number;
  longPollTimeout: number;
  authCacheTtl: number;
  handshakeTimeout: number;
  shutdownRetryAfter: number;
  presence: boolean | ((channel: string) => boolean);
  presenceGrace: number;
}

export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  const path = '/' + (o.path ?? '/anywire').replace(/^\/+|\/+$/g, '');
  return {
    path: path === '/' ? '' : path,
    transports: o.transports ?? ['websocket', 'sse', 'long-polling', 'polling'],
    authenticate: o.authenticate,
    authorize: o.authorize,
    allowedOrigins: o.allowedOrigins ?? [],
    history: { size: 1000, ttl: 120_000, ...o.history },
    heartbeatInterval: o.heartbeatInterval ?? 25_000,
    maxPayload: o.maxPayload ?? 64 * 1024,
    rateLimit: o.rateLimit ?? 20_000,
    maxBufferedBytes: o.maxBufferedBytes ?? 8 * 1024 * 1024,
    secret: o.secret,
    sessionTtl: o.sessionTtl ?? 3_600_000,
    longPollTimeout: o.longPollTimeout ?? 25_000,
    authCacheTtl: o.authCacheTtl ?? 60_000,
    handshakeTimeout: o.handshakeTimeout ?? 10_000,
    shutdownRetryAfter: o.shutdownRetryAfter ?? 1000,
    presence: o.presence ?? false,
    presenceGrace: o.presenceGrace ?? 10_000,
  };
}
