import type { TransportName } from './transport.js';
import { defaultReconnect, type ReconnectOptions } from './backoff.js';

/** Options of `createClient`. Every field but `url` is optional. */
export interface ClientOptions {
  /**
   * The server endpoint, e.g. `http://localhost:8080/anywire`. `ws(s)://` is derived from it for
   * WebSocket. Required.
   */
  url: string;
  /** The fallback ladder, tried in order. Default: `['websocket', 'sse', 'long-polling', 'polling']`. */
  transports?: readonly TransportName[];
  /** A token, or a (async) function called on every (re)connect attempt for a fresh one. Default: none (no token is sent). */
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
  /** Publishes kept while disconnected; beyond it `publish` rejects with RATE_LIMITED. Default: 1000. */
  maxQueuedPublishes?: number;
  /** While on a lower rung, ms between background probes of the higher ones. Default: 30000. */
  upgradeInterval?: number;
  /**
   * Browser only: share one connection among this origin's tabs with the same `url`, token and
   * key (`true`, or a string naming the group). Default: false. See docs/browser.md.
   */
  shareConnection?: boolean | string;
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
  maxQueuedPublishes: 1000,
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
