import type { GapReason } from '../../../core/frames.js';
import type { PresenceStore } from '../presence-store.js';

/** A message body as brokers store it: the JSON text of the data, or raw binary. */
export type Payload = string | Uint8Array;

export interface BrokerMessage {
  channel: string;
  epoch: string;
  /** Strictly increasing per channel within one epoch, starting at 1. */
  offset: number;
  payload: Payload;
}

export interface HistoryOptions {
  /** Messages kept per channel. Default (as `ServerOptions.history`): 1000. */
  size: number;
  /** ms a message stays in history. Default (as `ServerOptions.history`): 120_000. */
  ttl: number;
}

export interface HistoryResult {
  /** The channel's current epoch. */
  epoch: string;
  /** The channel's latest offset (0 when nothing was published in this epoch). */
  top: number;
  /** With a covered `since`: every message after it, in order. Otherwise empty. */
  messages: BrokerMessage[];
  /** Set when `since` was given but history cannot cover it. */
  gap?: GapReason;
}

export interface PublishOptions {
  /**
   * The publish id (the client's, for retries). With it, a publish seen before from the same
   * `publisher` is stored once.
   */
  id?: string | undefined;
  /**
   * Who publishes (the server passes the session's identity or session id): de-duplication of
   * `id` is scoped to it, so one publisher can never suppress another's publish by reusing its id.
   */
  publisher?: string | undefined;
  history: HistoryOptions;
}

export interface HistoryReadOptions {
  /** Most messages to return (a broker may cap it lower); ask again from the last one while it is below `top`. */
  limit?: number | undefined;
}

/** A page of history read backwards (see `Broker.readBack`). */
export interface HistoryPage {
  /** The channel's current epoch. */
  epoch: string;
  /** The channel's latest offset (0 when nothing was published in this epoch). */
  top: number;
  /** At most `limit` messages with offsets below `before`, newest last; what was trimmed is simply absent. */
  messages: BrokerMessage[];
}

export type BrokerListener = (message: BrokerMessage) => void;

/** Receives the `data` of a broker signal. */
export type SignalListener = (data: string) => void;

/**
 * Storage and fan-out behind one or many servers. Guarantees an implementation must give:
 * - offsets assigned atomically (two publishers never get the same one) and strictly increasing;
 * - `publish` with an `id` the same `publisher` used before (within the history ttl) stores
 *   nothing and returns the original offset (a retried publish is stored once);
 * - listeners of a channel see its messages in offset order;
 * - a lost history shows as a new epoch, never as offsets silently starting again.
 * The server subscribes once per channel per process, never once per client.
 */
export interface Broker {
  publish(channel: string, payload: Payload, options: PublishOptions): Promise<{ epoch: string; offset: number }>;
  /**
   * Recovery: what the channel holds after `since`, or where it stands now when `since` is absent.
   * Reading a channel never published writes nothing. A `since` at offset 0 (nothing seen) is
   * served from the start of the current epoch. `options.limit` bounds the messages returned.
   */
  history(channel: string, since?: { epoch: string; offset: number }, options?: HistoryReadOptions): Promise<HistoryResult>;
  /**
   * History read backwards: the newest `limit` messages with an offset below `before` (all when
   * absent), newest last. Backs `history()` and `rewind`. Optional for third-party brokers; without
   * it those answer BAD_REQUEST.
   */
  readBack?(channel: string, options: { before?: number | undefined; limit: number }): Promise<HistoryPage>;
  subscribe(channel: string, listener: BrokerListener): Promise<void>;
  unsubscribe(channel: string, listener: BrokerListener): Promise<void>;
  /** False while the backing store is unreachable. */
  readonly healthy: boolean;
  /**
   * True when several servers share this broker (Redis): a session id issued by one server must
   * verify on the others, so the server then requires the `secret` option (the same on every
   * server) instead of a random per-process key. Absent or false on single-process brokers.
   */
  readonly spansServers?: boolean;
  /**
   * Fire-and-forget: hands `data` to the `onSignal` listeners of `topic` on every server on this
   * broker, the sender's included. Nothing is stored, retried or ordered with publishes: a server
   * not listening at that moment never sees it. Servers pass node-to-node hints this way (an SSE
   * client's POSTs that landed on another server than its stream). Optional together with
   * `onSignal`; without them, see docs/scaling.md for what a server cannot do.
   */
  signal?(topic: string, data: string): void;
  /** Listens to `signal`s on `topic`; resolves once listening. Listeners stay until `close()`. */
  onSignal?(topic: string, listener: SignalListener): Promise<void>;
  /**
   * Where presence is kept when this broker spans servers (the Redis broker keeps it in Redis).
   * Absent on single-process brokers: the server then keeps presence in memory.
   */
  presenceStore?(): PresenceStore;
  /** Releases connections and timers. */
  close(): Promise<void>;
}
