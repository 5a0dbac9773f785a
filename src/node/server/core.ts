// Transport-independent server logic shared by every handler: authentication, authorisation,
// publishing, the live session registry and the heartbeat wheel.
import type { IncomingMessage } from 'node:http';
import { EventEmitter } from 'eventemitter3';
import type { TransportName } from '../../adapters/types.js';
import type { Code } from '../../core/codes.js';
import { AnywireError } from '../../core/errors.js';
import { CHANNEL_PATTERN, type PublishFrame } from '../../core/frames.js';
import type { Broker, BrokerMessage, Payload } from './brokers/types.js';
import { ChannelQuota } from './channel-quota.js';
import { Hub } from './hub.js';
import { Metrics } from './metrics.js';
import type { Identity, ResolvedServerOptions } from './options.js';
import { Outgoing } from './outgoing.js';
import { SessionRegistry } from './registry.js';
import { PresenceTracker } from './presence.js';
import { Expiry, expiryOf } from './token-expiry.js';
import type { Session } from './session.js';

/** Ticks per heartbeat interval (see `ServerCore.slots`). */
const wheelSlots = 8;

export interface ServerEvents {
  /** Every client session that completed its handshake (once per session, on every transport). */
  connection: (ctx: { id: string; identity: Identity; transport: TransportName }) => void;
  disconnect: (ctx: { id: string; reason: string }) => void;
  /** Diagnostics (a hook threw, the broker failed); the server keeps running. */
  error: (err: Error) => void;
}

export class ServerCore extends EventEmitter<ServerEvents> {
  readonly hub: Hub;
  /** Present when the `presence` option is on. */
  readonly presence: PresenceTracker | undefined;
  /** Counters behind `server.stats()` and `server.metrics()` (metrics.ts). */
  readonly metrics: Metrics;
  /** Ends live connections whose token expired (token-expiry.ts). */
  readonly expiry: Expiry = new Expiry(this);
  /** `maxChannelsPerMinute`, asked by sessions before a publish. */
  readonly channelQuota: ChannelQuota;
  /** Sessions with a live connection (WebSocket, SSE): pinged and checked by the heartbeat wheel. */
  readonly live = new Set<Session>();
  /** Every session this node knows, on every transport (registry.ts). */
  readonly sessions: SessionRegistry<Session>;
  closing = false;
  private readonly encoded = new WeakMap<BrokerMessage, Outgoing>();
  private wheel: ReturnType<typeof setInterval> | undefined;
  private sweeper: ReturnType<typeof setInterval> | undefined;
  /** Called for every HTTP session the sweep expires, before it is freed (the transport lets go of it). */
  onExpire: ((session: Session) => void) | undefined;
  /**
   * The wheel's slots. Each session belongs to one; a tick serves one slot, and the slots take
   * turns, so every session is still heartbeated once per interval, but the interval's pings (and
   * on SSE, the clients' answering POSTs) spread over it instead of all landing at one instant.
   */
  private readonly slots = Array.from({ length: wheelSlots }, () => new Set<Session>());
  private nextSlot = 0;
  private turn = 0;

  constructor(
    readonly options: ResolvedServerOptions,
    readonly broker: Broker,
  ) {
    super();
    this.hub = new Hub(broker);
    this.presence = options.presence === false ? undefined : new PresenceTracker(this);
    this.metrics = new Metrics(2 * options.heartbeatInterval);
    this.on('connection', (e) => this.metrics.opened[e.transport]++);
    this.channelQuota = new ChannelQuota(options.maxChannelsPerMinute);
    this.sessions = new SessionRegistry(options.maxSessions);
  }

  /**
   * Registers a new session (a handshake): false when the server holds `maxSessions` already.
   * `announce` emits `connection` (a rebuilt copy of a session announced elsewhere stays silent).
   */
  register(session: Session, announce: boolean): boolean {
    if (!this.sessions.add(session)) return false;
    this.startSweep();
    if (announce) this.announce(session);
    return true;
  }

  /** Emits `connection` for a session this node opened; its end will emit `disconnect`. */
  announce(session: Session): void {
    session.announced = true;
    this.emit('connection', { id: session.id, identity: session.identity, transport: session.transport });
  }

  /** Frees a session for good (its client left, vanished or was dropped) and announces the end once. */
  end(session: Session, reason: string): void {
    const known = this.sessions.delete(session);
    this.expiry.untrack(session);
    for (const slot of this.slots) slot.delete(session);
    this.live.delete(session);
    const first = !session.destroyed;
    session.destroy();
    if ((known || first) && session.announced) {
      session.announced = false;
      this.emit('disconnect', { id: session.id, reason });
    }
  }

  /** Expires HTTP sessions silent for two heartbeat intervals (no request, no stream). */
  private startSweep(): void {
    if (this.sweeper) return;
    const hb = this.options.heartbeatInterval;
    this.sweeper = setInterval(() => {
      for (const s of this.sessions.expire(Date.now() - 2 * hb)) {
        this.onExpire?.(s);
        this.end(s, 'TIMEOUT');
      }
    }, hb / 4);
    this.sweeper.unref();
  }

  /**
   * Runs `authenticate`; resolves the identity or rejects with UNAUTHORIZED. Only an object is an
   * identity: `false`, `0`, `''` and every other non-object refuse, as null does. The client gets a
   * fixed message; what the hook threw (it may name a database host) goes to the `error` event.
   */
  async authenticate(token: string | undefined, request: IncomingMessage): Promise<Identity> {
    const hook = this.options.authenticate;
    if (!hook) return null;
    let identity: Identity;
    try {
      identity = await hook({ token, request });
    } catch (cause) {
      this.metrics.refuse('UNAUTHORIZED');
      this.emit('error', cause instanceof Error ? cause : new Error(`authenticate threw ${String(cause)}`));
      throw new AnywireError('UNAUTHORIZED', 'authentication failed');
    }
    if (identity === null || typeof identity !== 'object') {
      this.metrics.refuse('UNAUTHORIZED');
      throw new AnywireError('UNAUTHORIZED', 'authentication failed');
    }
    if ((expiryOf(identity) ?? Infinity) <= Date.now()) {
      this.metrics.refuse('UNAUTHORIZED');
      throw new AnywireError('UNAUTHORIZED', 'the token has expired');
    }
    return identity;
  }

  async authorize(identity: Identity, channel: string, action: 'subscribe' | 'publish'): Promise<boolean> {
    const hook = this.options.authorize;
    if (!hook) return true;
    try {
      return (await hook({ identity, channel, action })) === true;
    } catch (err) {
      this.emit('error', err as Error);
      return false;
    }
  }

  /** Validates a publish frame's data: the payload to store, or why it is refused. */
  payloadOf(f: PublishFrame): Payload | { code: Code; message: string } {
    if ((f.b === undefined) === (f.d === undefined)) {
      return { code: 'BAD_REQUEST', message: 'a pub frame carries exactly one of "d" and "b"' };
    }
    return this.payload(f.b ?? f.d);
  }

  /** Encodes user data for the broker, enforcing maxPayload. */
  payload(data: unknown): Payload | { code: Code; message: string } {
    let payload: Payload;
    let size: number;
    const max = this.options.maxPayload;
    if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
      payload = data instanceof Uint8Array ? data : new Uint8Array(data);
      size = payload.length;
    } else {
      let text: string | undefined;
      try {
        text = JSON.stringify(data);
      } catch {
        text = undefined;
      }
      if (text === undefined) return { code: 'BAD_REQUEST', message: 'data is not a JSON value' };
      // A UTF-16 unit is at most 3 bytes of UTF-8: a text that fits 3 times needs no count.
      if (text.length * 3 <= max) return text;
      payload = text;
      size = Buffer.byteLength(text);
    }
    if (size > max) {
      return { code: 'PAYLOAD_TOO_LARGE', message: `payload of ${size} bytes exceeds maxPayload ${max}` };
    }
    return payload;
  }

  /** `publisher` scopes the de-duplication of `id` (see publisherScope). */
  async publishPayload(channel: string, payload: Payload, id?: string, publisher?: string): Promise<{ offset: number }> {
    if (!this.broker.healthy) throw new AnywireError('BROKER_UNAVAILABLE', 'the broker is unreachable');
    try {
      const r = await this.broker.publish(channel, payload, { id, publisher, history: this.options.history });
      return { offset: r.offset };
    } catch (cause) {
      // The broker's text (a Redis host:port) is for the operator, not for the client.
      this.emit('error', cause as Error);
      throw new AnywireError('BROKER_UNAVAILABLE', 'the broker is unavailable', { cause });
    }
  }

  /** `server.publish()`: the backend's own publish, validated like a client's. */
  async publish(channel: string, data: unknown): Promise<{ offset: number }> {
    if (typeof channel !== 'string' || !CHANNEL_PATTERN.test(channel)) {
      throw new AnywireError('BAD_REQUEST', `invalid channel name "${String(channel)}"`);
    }
    // Binary data is copied: history must replay what was published even when the caller reuses
    // its buffer (frames from clients are decoded into fresh arrays already).
    const own = data instanceof Uint8Array ? new Uint8Array(data) : data instanceof ArrayBuffer ? data.slice(0) : data;
    const payload = this.payload(own);
    if (typeof payload === 'object' && 'code' in payload) throw new AnywireError(payload.code, payload.message);
    const refused = await this.options.schemas?.check(channel, own);
    if (refused) throw new AnywireError('BAD_REQUEST', refused);
    const r = await this.publishPayload(channel, payload);
    this.metrics.in.server++;
    return r;
  }

  /**
   * The encoded `msg` frame of a stored message, shared by every session that replays it (the memory
   * broker hands out the same stored object each time); entries go with their messages (WeakMap).
   */
  encode(m: BrokerMessage): Outgoing {
    let out = this.encoded.get(m);
    if (!out) this.encoded.set(m, (out = new Outgoing(m)));
    return out;
  }

  /** A connection (WebSocket, SSE stream) is up: the heartbeat wheel pings and watches it. */
  opened(session: Session): void {
    if (this.live.has(session)) return;
    this.live.add(session);
    this.expiry.track(session);
    this.slots[this.nextSlot++ % wheelSlots]!.add(session);
    this.startWheel();
  }

  /** The connection is gone; the session may live on (an HTTP session between streams). */
  closed(session: Session): void {
    this.expiry.untrack(session);
    for (const slot of this.slots) slot.delete(session);
    this.live.delete(session);
  }

  /** One timer for every connection: ping the quiet ones, drop the silent ones, a slot per tick. */
  private startWheel(): void {
    if (this.wheel) return;
    const hb = this.options.heartbeatInterval;
    const age = this.options.maxConnectionAge;
    this.wheel = setInterval(() => {
      const now = Date.now();
      for (const s of this.slots[this.turn++ % wheelSlots]!) {
        if (now - s.lastSeen > 2 * hb) {
          this.metrics.refuse('TIMEOUT');
          s.sink.close('TIMEOUT', `no heartbeat for ${2 * hb} ms`);
        }
        // Checked at heartbeat granularity; the client reconnects and is authenticated again.
        else if (now - s.openedAt > age) s.sink.close('TIMEOUT', 'the connection reached maxConnectionAge: reconnect');
        else s.sink.heartbeat();
      }
    }, hb / wheelSlots);
    this.wheel.unref();
  }

  stopWheel(): void {
    this.expiry.stop();
    clearInterval(this.wheel);
    this.wheel = undefined;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
