// One client session, whatever the transport: its identity, its subscriptions and their delivery
// positions, its authorisation answers and rate budget, and the handling of every inbound frame.
// A WebSocket session lives as long as its socket; an HTTP session lives in the session registry
// between requests (registry.ts) and is reconciled with the cursor each poll or stream carries.
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

export interface ChannelSub {
  id: number;
  /** Epoch of `last` (set once history answered). */
  epoch: string;
  /** Last offset written to the sink. */
  last: number;
  /** HTTP: the offset up to which frames of this channel left in an answer (the client may hold them). */
  answered: number;
  /** HTTP: the `subd` of this subscription left in an answer. */
  subdSent: boolean;
  /** Live messages held while history is replayed; null once live. */
  pending: Outgoing[] | null;
  /**
   * The downstream was full and refused a message: delivery stopped after `last`, and continues
   * from history once there is room (HTTP: the next answer taken, an SSE stream drained).
   */
  stale: boolean;
}

/** A cursor entry of an HTTP request (a `sub` frame without its type, `q` once confirmed). */
export interface CursorEntry {
  id: number;
  ch: string;
  since?: { e: string; o: number } | undefined;
  q?: boolean | undefined;
  /** Rewind and presence, as on the `sub` frame: a session rebuilt from the cursor keeps them. */
  rw?: number | undefined;
  pc?: string | undefined;
  p?: unknown;
}

/** Where a session pauses its upstream while over its rate budget (a WebSocket stops reading). */
export interface Upstream {
  pause(): void;
  resume(): void;
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
        scope = createHash('sha256')
          .update(JSON.stringify(s.identity) ?? s.id)
          .digest('base64url')
          .slice(0, 22);
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
  transport: TransportName;
  /** The WebSocket upgrade request, kept only when the identity expires: `authenticate` gets it again on a refresh. */
  readonly request: IncomingMessage | undefined;
  /** Last time anything arrived from the client (heartbeats, requests). */
  lastSeen = Date.now();
  /** When it opened: a live connection is closed after `maxConnectionAge`. */
  readonly openedAt = this.lastSeen;
  /** This node announced the session (`connection`); it announces its end (`disconnect`) too. */
  announced = false;
  /** Where answers to `pub` and `ping` go (an HTTP `/send` answer); the sink when unset. */
  replies: Sink | undefined;
  upstream: Upstream | undefined;
  private readonly subs = new Map<string, ChannelSub>();
  /** HTTP: the id of the last `sub` of a channel that a later `unsub` ended (an older poll's cursor must not revive it). */
  private unsubbed: Map<string, number> | undefined;
  /** Created on the first hook call: without an `authorize` hook an idle session holds none. */
  private authz: Map<string, Promise<boolean>> | undefined;
  /** When the cache was started: on HTTP transports answers are reused for `authCacheTtl` at most. */
  private authzAt = 0;
  /** Token bucket: frames that may be handled now, refilled at `rateLimit` per second. */
  private tokens: number;
  private refilled = Date.now();
  /** Frames waiting for budget (bounded); null while none wait. */
  private backlog: ClientFrame[] | null = null;
  private backlogTimer: ReturnType<typeof setTimeout> | undefined;
  destroyed = false;
  /** Set once a channel schema answered asynchronously: later publishes wait their turn behind it. */
  private schemaTail: Promise<void> | undefined;

  constructor(
    private readonly core: ServerCore,
    public sink: Sink,
    init: { id: string; identity: Identity; transport: TransportName; request?: IncomingMessage | undefined },
  ) {
    this.id = init.id;
    this.identity = init.identity;
    this.transport = init.transport;
    const limit = core.options.rateLimit;
    this.tokens = limit === false ? Infinity : limit;
    this.request = init.request;
  }

  /** An HTTP session with no poll or stream attached on this node: it expires after silence. */
  get expirable(): boolean {
    return this.transport !== 'websocket' && this.sink.attached !== true;
  }

  get channels(): IterableIterator<string> {
    return this.subs.keys();
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  /** HTTP: the subscription of a channel (for the downstream's bookkeeping of answered offsets). */
  sub(channel: string): ChannelSub | undefined {
    return this.subs.get(channel);
  }

  /**
   * Handles a batch of validated frames, in order. Over the rate budget, the rest waits in a
   * bounded backlog (the upstream is paused meanwhile); frames past the backlog are refused.
   */
  receive(frames: readonly ClientFrame[]): void {
    this.lastSeen = Date.now();
    if (this.backlog) return this.defer(frames, 0);
    for (let i = 0; i < frames.length; i++) {
      if (this.destroyed) return;
      if (!this.take()) return this.defer(frames, i);
      this.handle(frames[i]!);
    }
  }

  /** Frames handled but not yet answered by budget: what a held `/send` still waits for. */
  get waiting(): number {
    return this.backlog?.length ?? 0;
  }

  private handle(f: ClientFrame): void {
    switch (f.t) {
      case 'sub':
        // The same subscription twice (its /send and a poll's cursor, or a signal): once is enough.
        // A `sub` with presence or rewind fields wins over the cursor's entry (which carries neither).
        if (this.subs.get(f.ch)?.id !== f.id || f.p !== undefined || f.pc !== undefined || f.rw !== undefined) void this.subscribe(f);
        break;
      case 'unsub':
        this.unsubscribe(f.ch);
        break;
      case 'pub':
        this.publish(f);
        break;
      case 'ping':
        this.reply({ t: 'pong' });
        break;
      case 'pong':
        break;
      case 'connect':
        this.sink.close('PROTOCOL_ERROR', 'connect frame after the handshake');
        return;
      case 'auth':
        void refreshLive(this.core, this, f.token);
        break;
      case 'hist':
      case 'pres':
        this.query(f);
        break;
    }
  }

  /** One frame's worth of budget; false when the bucket is empty. */
  private take(): boolean {
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    const limit = this.core.options.rateLimit as number;
    const now = Date.now();
    this.tokens = Math.min(limit, this.tokens + ((now - this.refilled) * limit) / 1000);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Queues `frames[from…]` for later budget; past the backlog bound they are refused. */
  private defer(frames: readonly ClientFrame[], from: number): void {
    const limit = this.core.options.rateLimit as number;
    // The backlog holds two seconds of budget (64 to 10,000 frames): a client that keeps pushing
    // past it is refused, a burst within it is only slowed.
    const bound = Math.max(64, Math.min(10_000, 2 * limit));
    const backlog = (this.backlog ??= []);
    for (let i = from; i < frames.length; i++) {
      const f = frames[i]!;
      if (backlog.length < bound) {
        backlog.push(f);
        continue;
      }
      if (f.t === 'pub' || f.t === 'sub') {
        this.core.metrics.refuse('RATE_LIMITED');
        const retry = Math.ceil((backlog.length * 1000) / limit);
        this.reply({ t: 'err', id: f.id, ch: f.ch, code: 'RATE_LIMITED', msg: `over ${limit} frames per second`, retry }, f.t === 'sub');
      }
    }
    this.upstream?.pause();
    this.scheduleBacklog();
  }

  private scheduleBacklog(): void {
    if (this.backlogTimer || !this.backlog) return;
    const limit = this.core.options.rateLimit as number;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / limit));
    this.backlogTimer = setTimeout(() => this.drainBacklog(), wait);
  }

  private drainBacklog(): void {
    this.backlogTimer = undefined;
    const backlog = this.backlog;
    if (!backlog || this.destroyed) return;
    let i = 0;
    while (i < backlog.length && this.take()) this.handle(backlog[i++]!);
    backlog.splice(0, i);
    if (backlog.length === 0) {
      this.backlog = null;
      this.upstream?.resume();
      this.onDrained?.();
      return;
    }
    this.scheduleBacklog();
  }

  /** Called when the backlog empties (a held `/send` may answer). */
  onDrained: (() => void) | undefined;

  /**
   * Subscribes from `since` (replaying history) or from now. With `quiet`, the confirmation frame
   * is left out unless there is a gap to report (HTTP cursors re-subscribe confirmed entries).
   */
  async subscribe(f: SubscribeFrame, quiet = false, keep = false): Promise<void> {
    const ch = f.ch;
    const max = this.core.options.maxSubscriptions;
    if (!this.subs.has(ch) && this.subs.size >= max) {
      return this.error('LIMIT_EXCEEDED', `more than ${max} subscriptions on one session`, f.id, ch);
    }
    this.unsubbed?.delete(ch);
    // Registered before any await, so an `unsub` that overtakes the authorisation wins.
    const sub: ChannelSub = { id: f.id, epoch: '', last: 0, answered: -1, subdSent: false, pending: [], stale: false };
    const previous = this.subs.get(ch);
    this.subs.set(ch, sub);
    // What was queued for a replaced subscription goes (history replays it from the new position),
    // unless it resumes where that one stopped (`keep`: a hole in the live stream, a refill).
    if (previous && !keep) this.sink.drop?.(ch);
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
      if ((err as { code?: Code }).code === 'BAD_REQUEST')
        return this.error('BAD_REQUEST', `cannot subscribe to "${ch}": ${(err as Error).message}`, f.id, ch);
      this.core.emit('error', err as Error); // its text (a Redis host:port) is not for the client
      return this.error('BROKER_UNAVAILABLE', `cannot subscribe to "${ch}": the broker is unavailable`, f.id, ch);
    }
    if (stale()) return;
    const resumed = f.since !== undefined && history.gap === undefined;
    sub.last = resumed ? f.since!.o : (rewound ?? history.top);
    sub.answered = sub.last;
    sub.epoch = history.epoch;
    if (!quiet || history.gap || (f.since !== undefined && f.since.e !== history.epoch)) {
      const frame: Record<string, unknown> = { t: 'subd', id: f.id, ch, e: history.epoch, o: sub.last, r: resumed };
      if (history.gap) frame.gap = history.gap;
      this.sink.frame(frame, sub);
    } else {
      sub.subdSent = true; // the client holds the confirmation already
    }
    this.replay(ch, sub, history);
  }

  /**
   * Writes replayed messages after `sub.last`, then the live ones held meanwhile; stops where the
   * sink is full. A broker reads history in pages (redisBroker's historyPage): the next page follows.
   */
  private replay(ch: string, sub: ChannelSub, history: HistoryResult): void {
    for (const m of history.messages) {
      if (sub.stale) break;
      if (m.offset <= sub.last) continue;
      sub.last = m.offset;
      this.core.metrics.out++;
      this.sink.message(this.core.encode(m), sub);
    }
    const pending = sub.pending!;
    sub.pending = null;
    for (const m of pending) this.deliver(m);
    const last = history.messages[history.messages.length - 1];
    if (!history.gap && last !== undefined && sub.last < history.top && !sub.stale && !this.destroyed && this.subs.get(ch) === sub) {
      void this.refill(ch, sub);
    }
  }

  /** The downstream has room again: subscriptions it refused continue from history, a page at a time. */
  refillStale(): void {
    for (const [ch, sub] of this.subs) {
      if (!sub.stale || sub.pending) continue;
      sub.stale = false;
      void this.refill(ch, sub);
    }
  }

  private async refill(ch: string, sub: ChannelSub): Promise<void> {
    sub.pending = [];
    let history;
    try {
      history = await this.core.broker.history(ch, { epoch: sub.epoch, offset: sub.last });
    } catch {
      history = undefined;
    }
    if (this.destroyed || this.subs.get(ch) !== sub) return;
    if (!history || history.gap) {
      // Not covered (or the broker is down): a quiet resubscribe from here reports the gap or the error.
      sub.pending = null;
      void this.subscribe({ t: 'sub', id: sub.id, ch, since: { e: sub.epoch, o: sub.last } }, true, true);
      return;
    }
    this.replay(ch, sub, history);
  }

  unsubscribe(channel: string): void {
    const sub = this.subs.get(channel);
    if (!sub) return;
    this.subs.delete(channel);
    if (this.transport !== 'websocket') {
      this.unsubbed ??= new Map();
      this.unsubbed.set(channel, sub.id);
      // Bounded like the subscriptions: the oldest memory of an unsubscribe goes first.
      if (this.unsubbed.size > this.core.options.maxSubscriptions) this.unsubbed.delete(this.unsubbed.keys().next().value!);
    }
    this.sink.drop?.(channel);
    this.core.hub.leave(channel, this);
    this.core.presence?.release(channel, this);
  }

  /**
   * HTTP: brings the session in line with the cursor a poll or stream carries (docs/protocol.md,
   * "Soft state"). Resolves once every (re)subscription it started has answered.
   */
  reconcile(cursor: readonly CursorEntry[]): Promise<unknown> {
    const started: Promise<void>[] = [];
    const again = (e: CursorEntry, quiet: boolean) => {
      const f: SubscribeFrame = e.since ? { t: 'sub', id: e.id, ch: e.ch, since: e.since } : { t: 'sub', id: e.id, ch: e.ch };
      if (e.rw !== undefined && !e.since) f.rw = e.rw;
      if (e.pc !== undefined) f.pc = e.pc;
      if (e.p !== undefined) f.p = e.p;
      started.push(this.subscribe(f, quiet));
    };
    for (const e of cursor) {
      const gone = this.unsubbed?.get(e.ch);
      if (gone !== undefined && gone >= e.id) continue;
      const sub = this.subs.get(e.ch);
      if (!sub || sub.id < e.id) {
        again(e, e.q === true);
        continue;
      }
      if (sub.id > e.id || sub.pending) continue; // a newer `sub` came by /send, or history is on its way
      if (e.q !== true) {
        if (sub.subdSent) again(e, false); // the answer with its subd was lost
      } else if (!e.since || e.since.e !== sub.epoch || e.since.o < sub.answered || e.since.o > sub.last) {
        again(e, true); // an answer was lost, or another node moved the client on: replay from its position
      } else if (!sub.subdSent || e.since.o > sub.answered) {
        // Another node confirmed the subscription or answered part of what waits here: neither goes
        // again (a second subd would move the client's position back).
        sub.subdSent = true;
        sub.answered = e.since.o;
        this.sink.drop?.(e.ch, e.since.o);
      }
    }
    return Promise.all(started);
  }

  /** Called by the hub for every message on a channel this session joined. */
  deliver(m: Outgoing): void {
    const sub = this.subs.get(m.channel);
    if (!sub) return;
    if (sub.pending) {
      sub.pending.push(m);
      return;
    }
    if (sub.stale) return; // history brings it once the downstream has room
    if (m.epoch === sub.epoch && m.offset <= sub.last) return;
    if (m.epoch !== sub.epoch || m.offset > sub.last + 1) {
      // The broker's stream jumped (a new epoch after a lost history, or a hole it could not
      // fill): resubscribe from this client's position, which fills the hole or reports the gap.
      // With its subd (it may replace a client's own resume, whose subd would never come); what is
      // queued stays (`keep`): it precedes this position.
      void this.subscribe({ t: 'sub', id: sub.id, ch: m.channel, since: { e: sub.epoch, o: sub.last } }, false, true);
      return;
    }
    sub.last = m.offset;
    this.core.metrics.out++;
    this.sink.message(m, sub);
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
    clearTimeout(this.backlogTimer);
    this.backlog = null;
    for (const ch of this.subs.keys()) {
      this.core.hub.leave(ch, this);
      this.core.presence?.release(ch, this);
    }
    this.subs.clear();
  }

  /** An answer to a `pub` or `ping`: in the `/send` answer on HTTP; `downstream` forces the sink. */
  private reply(frame: object, downstream = false): void {
    (downstream ? this.sink : (this.replies ?? this.sink)).frame(frame);
  }

  private publish(f: PublishFrame): void {
    const payload = this.core.payloadOf(f);
    if (typeof payload === 'object' && 'code' in payload) {
      return this.refusePub(payload.code, payload.message, f);
    }
    const schemas = this.core.options.schemas;
    if (schemas) {
      // Async checks queue behind each other, so publishes still reach the broker in order.
      const tail = this.schemaTail;
      const verdict = tail ? tail.then(() => schemas.check(f.ch, f.b ?? f.d)) : schemas.check(f.ch, f.b ?? f.d);
      if (verdict instanceof Promise) {
        this.schemaTail = verdict.then((v) => (v ? this.refusePub('BAD_REQUEST', v, f) : this.checked(f, payload)));
        return;
      }
      if (verdict) return this.refusePub('BAD_REQUEST', verdict, f);
    }
    this.checked(f, payload);
  }

  /** A history or presence query's refusal: in the `/send` answer on HTTP, like its answer would be. */
  private refuseQuery(code: Code, msg: string, f: HistoryFrame | PresenceFrame): void {
    if (this.destroyed) return;
    this.core.metrics.refuse(code);
    this.reply({ t: 'err', code, msg, id: f.id, ch: f.ch });
  }

  /** A publish's refusal: in the `/send` answer on HTTP, like its ack would be. */
  private refusePub(code: Code, msg: string, f: PublishFrame): void {
    if (this.destroyed) return;
    this.core.metrics.refuse(code);
    this.reply({ t: 'err', code, msg, id: f.id, ch: f.ch });
  }

  /** A publish that passed its channel's schema (if any): authorise, then store. */
  private checked(f: PublishFrame, payload: Payload): void {
    // Without an `authorize` hook the publish goes to the broker now, not a microtask later.
    const allowed = this.allowed(f.ch, 'publish');
    if (allowed === ALLOWED) return this.store(f, payload);
    // Publishes on one channel chain on one cached authorisation promise, so the broker sees
    // them in the order the client sent them.
    allowed.then((ok) => {
      if (this.destroyed) return;
      if (!ok) return this.refusePub('FORBIDDEN', `not allowed to publish to "${f.ch}"`, f);
      this.store(f, payload);
    });
  }

  /** A history page or the presence list: needs `subscribe` permission; one answer frame. */
  private query(f: HistoryFrame | PresenceFrame): void {
    const allowed = this.allowed(f.ch, 'subscribe');
    void allowed.then(async (ok) => {
      if (!ok) return this.refuseQuery('FORBIDDEN', `not allowed to read "${f.ch}"`, f);
      try {
        this.reply(await answerQuery(this.core, f));
      } catch (err) {
        const e = err as { code?: Code; message: string };
        this.refuseQuery(e.code ?? 'BROKER_UNAVAILABLE', e.message, f);
      }
    });
  }

  private store(f: PublishFrame, payload: Payload): void {
    // After authorisation: a refused publish neither spends the quota nor makes its channel known.
    if (!this.core.channelQuota.allow(f.ch, this.identity, this.id)) {
      const msg = `too many new channels: at most ${this.core.options.maxChannelsPerMinute} a minute`;
      return this.refusePub('RATE_LIMITED', msg, f);
    }
    this.core.publishPayload(f.ch, payload, f.id, publisherScope(this)).then(
      (r) => {
        this.core.metrics.in[this.transport]++;
        this.reply({ t: 'ack', id: f.id, o: r.offset });
      },
      (err: { code?: Code; message: string }) => this.refusePub(err.code ?? 'BROKER_UNAVAILABLE', err.message, f),
    );
  }

  private allowed(channel: string, action: 'subscribe' | 'publish'): Promise<boolean> {
    if (!this.core.options.authorize) return ALLOWED;
    const key = action[0] + channel;
    const now = Date.now();
    if (!this.authz || (this.transport !== 'websocket' && now - this.authzAt > this.core.options.authCacheTtl)) {
      this.authz = new Map();
      this.authzAt = now;
    }
    let p = this.authz.get(key);
    if (!p) {
      p = this.core.authorize(this.identity, channel, action);
      this.authz.set(key, p);
      // Bounded: a session asks about at most twice `maxSubscriptions` pairs before the oldest goes.
      if (this.authz.size > 2 * this.core.options.maxSubscriptions) this.authz.delete(this.authz.keys().next().value!);
    }
    return p;
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
