import type { IncomingMessage } from 'node:http';
import type { TransportName } from '../../adapters/types.js';
import type { Broker, HistoryOptions } from './brokers/types.js';
import { SchemaTable, type ChannelSchemas } from './schemas.js';

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
   * Called on every (re)connect with the client's token. Return an identity object (e.g.
   * `{ id: 'user-1' }`); anything that is not an object (`null`, `undefined`, `false`, `0`, `''`,
   * a string) refuses with UNAUTHORIZED, and so does a throw. The client sees a fixed message; what
   * the hook threw goes to the server's `error` event. An identity with a numeric `exp` (seconds
   * since the epoch, as in a JWT) is valid until then on every transport: the client refreshes its
   * token in-band before it (this hook runs again on the new token), or the connection ends with
   * TOKEN_EXPIRED. Default: everyone is allowed, identity `null`.
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
  /**
   * The origins this server is served at, as browsers see them (`'https://chat.example.com'`):
   * what "same-origin" means for `allowedOrigins`. Set it behind a TLS-terminating proxy (the
   * server then sees plain HTTP) and on any server reachable under a DNS name. Without it, a
   * request is same-origin only when its Origin's scheme, host and port equal the connection's
   * (https only over TLS) and, on a loopback address, its host is a loopback name (no DNS
   * rebinding). Default: none.
   */
  publicOrigins?: readonly string[];
  /** Per-channel history used for recovery. Default: `{ size: 1000, ttl: 120_000 }`. */
  history?: Partial<HistoryOptions>;
  /** ms between heartbeats; a peer silent for two intervals is dropped. Default: 25000. */
  heartbeatInterval?: number;
  /** Largest message data in bytes (UTF-8 of its JSON, or binary length). Default: 65536. */
  maxPayload?: number;
  /**
   * Inbound frames per client session per second (every transport), or false for no limit. A
   * session over it is slowed, not refused: its WebSocket is no longer read, or its POST held,
   * until the budget refills; only frames past a backlog of two seconds' budget get RATE_LIMITED.
   * Default: 100000.
   */
  rateLimit?: number | false;
  /** Channels one session may subscribe to; one more is refused with LIMIT_EXCEEDED. Default: 1000. */
  maxSubscriptions?: number;
  /** Client sessions one server holds (every transport); a handshake past it is refused with LIMIT_EXCEEDED. Default: 100000. */
  maxSessions?: number;
  /** Bytes queued for one client before it is dropped as a slow consumer (it then resumes from history). Default: 8 MiB. */
  maxBufferedBytes?: number;
  /**
   * HMAC key for HTTP session ids, at least 32 bytes; set the same one on every server behind a
   * load balancer. Required with a broker that spans servers (Redis): start-up fails without it.
   * Never stored in the broker. Default: random per process (memory broker).
   */
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
   * ms a WebSocket or SSE connection may stay open; then the server closes it (code TIMEOUT) and
   * the client reconnects, running `authenticate` again. `Infinity` for no bound. Default: 86400000 (24 h).
   */
  maxConnectionAge?: number;
  /** ms an HTTP request body may go without a byte arriving before the request is cut (408). Default: 10000. */
  bodyTimeout?: number;
  /** SSE streams and held long polls open at once from one IP address; more get 429 RATE_LIMITED. Default: 256. */
  maxStreamsPerIp?: number;
  /**
   * Distinct channels one identity may publish to per minute (a new channel past it is refused
   * with RATE_LIMITED); without `authenticate`, per connection. Bounds how fast one client can
   * create channels. `false` for no bound. Default: 1000.
   */
  maxChannelsPerMinute?: number | false;
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
  /**
   * Serve `GET <path>/metrics` (Prometheus text exposition of `server.metrics()`). `<path>/health`
   * is always served. Default: false.
   */
  metrics?: boolean;
  /**
   * Typed channels: a Standard Schema (zod 4, valibot, arktype…) per channel name, or per prefix
   * ending in '*' (the longest prefix wins; an exact name wins over any prefix). Every publish to
   * such a channel, from clients and `server.publish()`, is checked; a failing one is refused with
   * BAD_REQUEST naming the failing paths, and nothing is stored. Default: none.
   * @example createServer({ schemas: { chat: z.object({ text: z.string() }), 'room:*': Room } })
   */
  schemas?: ChannelSchemas;
}

export interface ResolvedServerOptions {
  path: string;
  transports: readonly TransportName[];
  authenticate: NonNullable<ServerOptions['authenticate']> | undefined;
  authorize: NonNullable<ServerOptions['authorize']> | undefined;
  allowedOrigins: readonly string[];
  publicOrigins: readonly string[];
  history: HistoryOptions;
  heartbeatInterval: number;
  maxPayload: number;
  rateLimit: number | false;
  maxSubscriptions: number;
  maxSessions: number;
  maxBufferedBytes: number;
  secret: string | undefined;
  sessionTtl: number;
  longPollTimeout: number;
  authCacheTtl: number;
  handshakeTimeout: number;
  shutdownRetryAfter: number;
  presence: boolean | ((channel: string) => boolean);
  presenceGrace: number;
  metrics: boolean;
  schemas: SchemaTable | undefined;
  maxConnectionAge: number;
  bodyTimeout: number;
  maxStreamsPerIp: number;
  maxChannelsPerMinute: number | false;
}

/** Shortest `secret` accepted, in bytes (an HMAC-SHA256 key of 256 bits). */
export const MIN_SECRET_BYTES = 32;

/** The `secret` option, checked: refused when short, required when the broker spans servers. */
function checkSecret(secret: unknown, broker: Broker | undefined): string | undefined {
  if (secret === undefined) {
    if (broker?.spansServers) {
      throw new Error(
        `anywire: a broker shared by several servers needs the \`secret\` option (at least ${MIN_SECRET_BYTES} bytes, ` +
          "the same on every server; e.g. randomBytes(32).toString('base64url') kept in your secret store)",
      );
    }
    return undefined;
  }
  if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new Error(`anywire: \`secret\` must be a string of at least ${MIN_SECRET_BYTES} bytes`);
  }
  return secret;
}

/** A limit must be a number above 0 (`Infinity` allowed): a typo must not turn a bound off. */
function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0)) throw new Error(`anywire: \`${name}\` must be a number above 0, got ${String(value)}`);
  return value;
}

/** An origin as browsers send it (`scheme://host[:port]`, default port left out). */
function normalOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new Error(`anywire: publicOrigins holds "${origin}", not an origin like "https://chat.example.com"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`anywire: publicOrigins holds "${origin}", not an http(s) origin`);
  return url.origin;
}

export function resolveServerOptions(o: ServerOptions): ResolvedServerOptions {
  const path = '/' + (o.path ?? '/anywire').replace(/^\/+|\/+$/g, '');
  return {
    path: path === '/' ? '' : path,
    transports: o.transports ?? ['websocket', 'sse', 'long-polling', 'polling'],
    authenticate: o.authenticate,
    authorize: o.authorize,
    allowedOrigins: o.allowedOrigins ?? [],
    publicOrigins: (o.publicOrigins ?? []).map(normalOrigin),
    history: { size: 1000, ttl: 120_000, ...o.history },
    heartbeatInterval: o.heartbeatInterval ?? 25_000,
    maxPayload: o.maxPayload ?? 64 * 1024,
    rateLimit: o.rateLimit ?? 100_000,
    maxSubscriptions: o.maxSubscriptions ?? 1000,
    maxSessions: o.maxSessions ?? 100_000,
    maxBufferedBytes: o.maxBufferedBytes ?? 8 * 1024 * 1024,
    secret: checkSecret(o.secret, o.broker),
    sessionTtl: o.sessionTtl ?? 3_600_000,
    longPollTimeout: o.longPollTimeout ?? 25_000,
    authCacheTtl: o.authCacheTtl ?? 60_000,
    handshakeTimeout: o.handshakeTimeout ?? 10_000,
    shutdownRetryAfter: o.shutdownRetryAfter ?? 1000,
    presence: o.presence ?? false,
    presenceGrace: positive('presenceGrace', o.presenceGrace ?? 10_000),
    metrics: o.metrics ?? false,
    schemas: o.schemas ? new SchemaTable(o.schemas) : undefined,
    maxConnectionAge: positive('maxConnectionAge', o.maxConnectionAge ?? 86_400_000),
    bodyTimeout: positive('bodyTimeout', o.bodyTimeout ?? 10_000),
    maxStreamsPerIp: positive('maxStreamsPerIp', o.maxStreamsPerIp ?? 256),
    maxChannelsPerMinute: o.maxChannelsPerMinute === false ? false : positive('maxChannelsPerMinute', o.maxChannelsPerMinute ?? 1000),
  };
}
