// One client's view of the server, whatever the transport: its identity, its subscriptions and
// their delivery positions, and the handling of every inbound frame. Transports only supply a Sink.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TransportName } from '../../adapters/types.js';
import type { Code } from '../../core/codes.js';
import type { ClientFrame, HistoryFrame, PresenceFrame, PublishFrame, SubscribeFrame } from '../../core/frames.js';
import { answerQuery } from './queries.js';
import type { HistoryResult, Payload } from './brokers/types.js';
import { rewindPage } from './history.js';
import type { HubMember } from './hub.js';
import type { Identity } from './options.js';
import type { Outgoing, Sink } from './outgoing.js';
import type { ServerCore } from './core.js';
import { refreshLive } from './token-expiry.js';

interface ChannelSub {
  id: number;
  /** Epoch of `last` (set once history answered). */
  epoch: string;
  /** Last offset written to the sink. */
  last: number;
  /** Live messages held while history is replayed; null once live. */
  pending: Outgoing[] | null;
}

const scopes = new WeakMap<Session, string>();

/**
 * Whose publish ids these are, for de-duplication: a digest of the identity (stable across the
 * client's reconnections, so a retried publish is still stored once), the session id when the
 * identity cannot be serialised, '' for anonymous clients (whose ids are random and never sent to
 * anyone else). One identity can then never suppress another's publish by reusing its id.
 */
function publisherScope(s: Session): string {
  let scope = scopes.get(s);
  if (scope === undefined) {
    if (s.identity === null || s.identity === undefined) scope = '';
    else {
      try {
        scope = createHash('sha256').update(JSON.stringify(s.identity) ?? s.id).digest('base64url').slice(0, 22);
      } catch {
        scope = s.id;
      }
    }
    scopes.set(s, scope);
  }
  return scope;
}

/** Every channel and action is allowed when no `authorize` hook is set: one promise for all. */
const ALLOWED: Promise<boolean> = Promise.resolve(true);

export class Session implements HubMember {
  readonly id: string;
  /** Replaced by a token refresh (`renew`). */
  identity: Identity;
  readonly transport: TransportName;
  /** The WebSocket upgrade request, kept only when the identity expires: `authenticate` gets it again on a refresh. */
  readonly request: IncomingMessage | undefined;
  /** Last time anything arrived from the client (heartbeats). */
  lastSeen = Date.now();
  /** When it opened: a live connection is closed after `maxConnectionAge`. */
  readonly openedAt = this.lastSeen;
  private readonly subs = new Map<string, ChannelSub>();
  /** Created on the first hook call: without an `authorize` hook an idle session holds none. */
  private authz: Map<string, Promise<boolean>> | undefined;
  private windowStart = 0;
  private windowCount = 0;
  private destroyed = false;
  /** Set once a channel schema answered asynchronously: later publishes wait their turn behind it. */
  private schemaTail: Promise<void> | undefined;
  /** HTTP transports pass a cache shared across requests (their sessions live one request each). */
  private readonly authorizer: ((channel: string, action: 'subscribe' | 'publish', identity: Identity) => Promise<boolean>) | undefined;

  constructor(
    private readonly core: ServerCore,
    readonly sink: Sink,
    init: {
      id: string;
      identity: Identity;
      transport: TransportName;
      authorize?: ((channel: string, action: 'subscribe' | 'publish', identity: Identity) => Promise<boolean>) | undefined;
      request?: IncomingMessage | undefined;
    },
  ) {
    this.id = init.id;
    this.identity = init.identity;
    this.transport = init.transport;
    this.authorizer = init.authorize;
    this.request = init.request;
  }

  get channels(): IterableIterator<string> {
    return this.subs.keys();
  }

  /** Handles a batch of validated frames, in order. */
  receive(frames: readonly ClientFrame[]): void {
    this.lastSeen = Date.now();
    for (const f of frames) {
      if (this.destroyed) return;
      if (this.limited(f)) continue;
      switch (f.t) {
        case 'sub':
          void this.subscribe(f);
          break;
        case 'unsub':
          this.unsubscribe(f.ch);
          break;
        case 'pub':
          this.publish(f);
          break;
        case 'hist':
        case 'pres':
          this.query(f);
          break;
        case 'ping':
          this.sink.frame({ t: 'pong' });
          break;
        case 'pong':
          break;
        case 'connect':
          this.sink.close('PROTOCOL_ERROR', 'connect frame after the handshake');
          return;
        case 'auth':
          void refreshLive(this.core, this, f.token);
          break;
      }
    }
  }

  /**
   * Subscribes from `since` (replaying history) or from now. With `quiet`, the confirmation frame
   * is left out unless there is a gap to report (HTTP cursors re-subscribe on every request).
   */
  async subscribe(f: SubscribeFrame, quiet = false): Promise<void> {
    const ch = f.ch;
    // Registered before any await, so an `unsub` that overtakes the authorisation wins.
    const sub: ChannelSub = { id: f.id, epoch: '', last: 0, pending: [] };
    this.subs.set(ch, sub);
    const stale = () => this.destroyed || this.subs.get(ch) !== sub;
    const allowed = this.allowed(ch, 'subscribe');
    if (allowed !== ALLOWED && !(await allowed)) {
      if (!stale()) this.unsubscribe(ch);
      return this.error('FORBIDDEN', `not allowed to subscribe to "${ch}"`, f.id, ch);
    }
    if (stale()) return;
    let history: HistoryResult;
    let rewound: number | undefined;
    try {
      await this.core.hub.join(ch, this); // idempotent: a re-subscribe keeps one membership
      if (stale()) return;
      await this.core.presence?.hold(ch, this, this.identity, f, this.id);
      if (stale()) return;
      if (f.rw && !f.since) {
        // Rewind resolved into a resume: from just before the n-th newest message, replayed as
        // any resume is (presence events among them included), then live, by offset.
        const r = await rewindPage(this.core.broker, ch, f.rw);
        if (stale()) return;
        const h = await this.core.broker.history(ch, { epoch: r.epoch, offset: r.from });
        // Trimmed between the two reads (or a new epoch): start from now instead, never a gap.
        history = h.gap ? { epoch: h.epoch, top: h.top, messages: [] } : h;
        rewound = h.gap ? h.top : r.from;
      } else {
        history = await this.core.broker.history(ch, f.since && { epoch: f.since.e, offset: f.since.o });
      }
    } catch (err) {
      if (!stale()) this.unsubscribe(ch);
      if ((err as { code?: Code }).code === 'BAD_REQUEST') return this.error('BAD_REQUEST', `cannot subscribe to "${ch}": ${(err as Error).message}`, f.id, ch);
      this.core.emit('error', err as Error); // its text (a Redis host:port) is not for the client
      return this.error('BROKER_UNAVAILABLE', `cannot subscribe to "${ch}": the broker is unavailable`, f.id, ch);
    }
    if (stale()) return;
    const resumed = f.since !== undefined && history.gap === undefined;
    sub.last = resumed ? f.since!.o : (rewound ?? history.top);
    sub.epoch = history.epoch;
    if (!quiet || history.gap || (f.since !== undefined && f.since.e !== history.epoch)) {
      const frame: Record<string, unknown> = { t: 'subd', id: f.id, ch, e: history.epoch, o: sub.last, r: resumed };
      if (history.gap) frame.gap = history.gap;
      this.sink.frame(frame);
    }
    for (const m of history.messages) {
      if (m.offset <= sub.last) continue;
      sub.last = m.offset;
      this.core.metrics.out++;
      this.sink.message(this.core.encode(m));
    }
    const pending = sub.pending!;
    sub.pending = null;
    for (const m of pending) this.deliver(m);
    // A broker reads history in pages (redisBroker's historyPage): ask for the next one.
    const last = history.messages[history.messages.length - 1];
    if (!history.gap && last !== undefined && sub.last < history.top && !stale()) {
      void this.subscribe({ t: 'sub', id: sub.id, ch, since: { e: sub.epoch, o: sub.last } }, true);
    }
  }

  unsubscribe(channel: string): void {
    if (!this.subs.delete(channel)) return;
    this.core.hub.leave(channel, this);
    this.core.presence?.release(channel, this);
  }

  /** Called by the hub for every message on a channel this session joined. */
  deliver(m: Outgoing): void {
    const sub = this.subs.get(m.channel);
    if (!sub) return;
    if (sub.pending) {
      sub.pending.push(m);
      return;
    }
    if (m.epoch === sub.epoch && m.offset <= sub.last) return;
    if (m.epoch !== sub.epoch || m.offset > sub.last + 1) {
      // The broker's stream jumped (a new epoch after a lost history, or a hole it could not
      // fill): resubscribe from this client's position, which fills the hole or reports the gap.
      void this.subscribe({ t: 'sub', id: sub.id, ch: m.channel, since: { e: sub.epoch, o: sub.last } }, true);
      return;
    }
    sub.last = m.offset;
    this.core.metrics.out++;
    this.sink.message(m);
  }

  /**
   * A refreshed token's identity applies from now on; cached `authorize` answers are dropped and
   * every subscription is asked again (a refused one ends with FORBIDDEN).
   */
  renew(identity: Identity): void {
    this.identity = identity;
    this.authz = undefined;
    for (const [ch, sub] of this.subs) {
      const allowed = this.allowed(ch, 'subscribe');
      if (allowed === ALLOWED) return;
      void allowed.then((ok) => {
        if (ok || this.destroyed || this.subs.get(ch) !== sub) return;
        this.unsubscribe(ch);
        this.error('FORBIDDEN', `no longer allowed to subscribe to "${ch}"`, sub.id, ch);
      });
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const ch of this.subs.keys()) {
      this.core.hub.leave(ch, this);
      this.core.presence?.release(ch, this);
    }
    this.subs.clear();
  }

  private publish(f: PublishFrame): void {
    const payload = this.core.payloadOf(f);
    if (typeof payload === 'object' && 'code' in payload) {
      return this.error(payload.code, payload.message, f.id, f.ch);
    }
    const schemas = this.core.options.schemas;
    if (schemas) {
      // Async checks queue behind each other, so publishes still reach the broker in order.
      const tail = this.schemaTail;
      const verdict = tail ? tail.then(() => schemas.check(f.ch, f.b ?? f.d)) : schemas.check(f.ch, f.b ?? f.d);
      if (verdict instanceof Promise) {
        this.schemaTail = verdict.then((v) => (v ? this.error('BAD_REQUEST', v, f.id, f.ch) : this.checked(f, payload)));
        return;
      }
      if (verdict) return this.error('BAD_REQUEST', verdict, f.id, f.ch);
    }
    this.checked(f, payload);
  }

  /** A publish that passed its channel's schema (if any): authorise, then store. */
  private checked(f: PublishFrame, payload: Payload): void {
    // Without an `authorize` hook the publish goes to the broker now, not a microtask later.
    const allowed = this.allowed(f.ch, 'publish');
    if (allowed === ALLOWED) return this.store(f, payload);
    // Publishes on one channel chain on one cached authorisation promise, so the broker sees
    // them in the order the client sent them.
    allowed.then((ok) => {
      if (!ok) return this.error('FORBIDDEN', `not allowed to publish to "${f.ch}"`, f.id, f.ch);
      this.store(f, payload);
    });
  }

  /** A history page or the presence list: needs `subscribe` permission; one answer frame. */
  private query(f: HistoryFrame | PresenceFrame): void {
    const allowed = this.allowed(f.ch, 'subscribe');
    void allowed.then(async (ok) => {
      if (!ok) return this.error('FORBIDDEN', `not allowed to read "${f.ch}"`, f.id, f.ch);
      try {
        this.sink.frame(await answerQuery(this.core, f));
      } catch (err) {
        const e = err as { code?: Code; message: string };
        this.error(e.code ?? 'BROKER_UNAVAILABLE', e.message, f.id, f.ch);
      }
    });
  }

  private store(f: PublishFrame, payload: Payload): void {
    // After authorisation: a refused publish neither spends the quota nor makes its channel known.
    if (!this.core.channelQuota.allow(f.ch, this.identity, this.id)) {
      return this.error('RATE_LIMITED', `too many new channels: at most ${this.core.options.maxChannelsPerMinute} a minute`, f.id, f.ch);
    }
    this.core.publishPayload(f.ch, payload, f.id, publisherScope(this)).then(
      (r) => {
        this.core.metrics.in[this.transport]++;
        this.sink.frame({ t: 'ack', id: f.id, o: r.offset });
      },
      (err: { code?: Code; message: string }) => this.error(err.code ?? 'BROKER_UNAVAILABLE', err.message, f.id, f.ch),
    );
  }

  private allowed(channel: string, action: 'subscribe' | 'publish'): Promise<boolean> {
    if (!this.authorizer && !this.core.options.authorize) return ALLOWED;
    const key = action[0] + channel;
    this.authz ??= new Map();
    let p = this.authz.get(key);
    if (!p) {
      p = this.authorizer ? this.authorizer(channel, action, this.identity) : this.core.authorize(this.identity, channel, action);
      this.authz.set(key, p);
    }
    return p;
  }

  private limited(f: ClientFrame): boolean {
    const limit = this.core.options.rateLimit;
    if (limit === false) return false;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount <= limit) return false;
    const retry = 1000 - (now - this.windowStart);
    this.core.metrics.refuse('RATE_LIMITED');
    if (f.t === 'pub' || f.t === 'sub') {
      this.sink.frame({ t: 'err', id: f.id, ch: f.ch, code: 'RATE_LIMITED', msg: `over ${limit} frames per second`, retry });
    }
    return true;
  }

  private error(code: Code, msg: string, id?: string | number, ch?: string): void {
    if (this.destroyed) return;
    this.core.metrics.refuse(code);
    const frame: Record<string, unknown> = { t: 'err', code, msg };
    if (id !== undefined) frame.id = id;
    if (ch !== undefined) frame.ch = ch;
    this.sink.frame(frame);
  }
}
