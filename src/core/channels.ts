// The client's channels: who subscribes to what, and each channel's recovery position (epoch and
// last delivered offset). This is the one owner of positions: a new link resubscribes from them and
// the HTTP transports read them (`cursor()`). Delivery is exactly once and in order by offset; a
// message that skips an offset makes the channel resume from its last delivered one; `gap` is
// emitted before anything that follows a gap. Several subscriptions to one channel share one server
// subscription. Application code (handlers, listeners) runs isolated: a throw is reported by the
// host and delivery goes on.
import { backoffDelay, type ReconnectOptions } from './backoff.js';
import type { Code } from './codes.js';
import { AnywireError } from './errors.js';
import type { ClientFrame, ErrorFrame, GapReason, MessageFrame, SubscribedFrame } from './grammar.js';
import type { MessageHandler, Report, Sub } from './subscription.js';
import type { ChannelPosition } from './transport.js';
import { check } from './schema.js';
import { withPresence, type PresenceMember } from './presence.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- subscriptions of any data type share one record
export type AnySub = Sub<any>;

/** Recovery position and subscribers of one channel. */
interface ChannelRecord extends ChannelPosition {
  name: string;
  subs: Set<AnySub>;
  epoch?: string | undefined;
  /** Last offset delivered to the app. */
  offset?: number | undefined;
  /** Id of the `sub` frame in flight or confirmed on the current link. */
  subId: number;
  confirmed: boolean;
  /** Transient refusals (broker down, rate limited) since the last confirmation. */
  retries: number;
  /** The offset a resume after a skipped offset started from, until a message beyond it arrives. */
  resumedAt?: number | undefined;
  /** A pending retry of a transiently refused `sub`. */
  timer?: ReturnType<typeof setTimeout> | undefined;
}

/** What the channels need from the client. */
export interface ChannelsHost {
  /** Sends frames on the current link; false (nothing sent) when there is none. */
  send(frames: ClientFrame[]): boolean;
  /** Reports a diagnostic as the client's `error` event. */
  error(err: AnywireError): void;
  /** Reports a throw of application code. */
  report: Report;
  /** Backoff for transient refusals. */
  readonly retryPolicy: ReconnectOptions;
  /** This client's presence id, stable across its reconnects (see presence.ts). */
  readonly clientId: string;
}

export class Channels {
  readonly #records = new Map<string, ChannelRecord>();
  #subSeq = 0;

  readonly #host: ChannelsHost;

  constructor(host: ChannelsHost) {
    this.#host = host;
  }

  /** Adds a subscription; a channel's first one sends `sub` when a link is up. */
  add(sub: AnySub): void {
    let rec = this.#records.get(sub.channel);
    if (!rec) {
      rec = { name: sub.channel, subs: new Set([sub]), subId: -1, confirmed: false, retries: 0 };
      this.#records.set(sub.channel, rec);
      this.#host.send([this.#subFrame(rec)]);
    } else {
      rec.subs.add(sub);
      const r = rec;
      if (r.confirmed) queueMicrotask(() => r.confirmed && r.subs.has(sub) && sub.subscribed(false));
    }
  }

  /** Removes a subscription; the channel's last one sends `unsub`. */
  leave(sub: AnySub): void {
    const rec = this.#records.get(sub.channel);
    if (!rec || !rec.subs.delete(sub) || rec.subs.size > 0) return;
    this.#drop(rec);
    this.#host.send([{ t: 'unsub', ch: sub.channel }]);
  }

  /** `sub` frames for every channel, resuming from what was delivered (a new link). */
  resubscribe(): ClientFrame[] {
    return [...this.#records.values()].map((rec) => this.#subFrame(rec));
  }

  /** Every channel's subscription and position, read by the HTTP transports (`cursorOf`). */
  positions(): Iterable<ChannelPosition> {
    const out: ChannelPosition[] = [];
    for (const rec of this.#records.values()) {
      const { rw, pc, p } = withPresence({ t: 'sub', id: rec.subId, ch: rec.name, since: this.#since(rec) }, rec.subs, this.#host.clientId);
      out.push({ name: rec.name, subId: rec.subId, epoch: rec.epoch, offset: rec.offset, confirmed: rec.confirmed, rw, pc, p });
    }
    return out;
  }

  /** The link is gone: every subscription waits for the next one (and no retry timer runs). */
  suspend(): void {
    for (const rec of this.#records.values()) {
      rec.confirmed = false;
      clearTimeout(rec.timer);
      rec.timer = undefined;
      for (const sub of rec.subs) sub.subscribing();
    }
  }

  /**
   * `close()`: like `suspend`, and every `ready` still pending rejects with CLOSED. The
   * subscriptions stay: a later `connect()` resumes them from their positions.
   */
  close(): void {
    this.suspend();
    for (const rec of this.#records.values()) for (const sub of rec.subs) sub.settle(new AnywireError('CLOSED', 'client closed'));
  }

  deliver(f: MessageFrame): void {
    const rec = this.#records.get(f.ch);
    if (!rec || !rec.confirmed) return;
    // `confirmed` implies a position: the subd set it.
    const last = rec.offset!;
    // Exactly once: anything at or below the last delivered offset was already delivered.
    if (f.o <= last) return;
    if (f.o > last + 1) {
      // A hole within the epoch: resume from the last delivered offset, which replays what is
      // missing (the messages of this batch that follow are dropped until the new subd, and
      // replayed after it). When a resume from this very offset met the same hole, history does
      // not hold what is missing: say so with `gap` and go on from here.
      if (rec.resumedAt !== last) {
        rec.resumedAt = last;
        this.#host.send([this.#subFrame(rec)]);
        return;
      }
      this.#gap(rec, 'history-trimmed', last);
    }
    rec.resumedAt = undefined;
    rec.offset = f.o;
    const data = f.b ?? f.d;
    const meta = { channel: f.ch, offset: f.o };
    for (const sub of rec.subs) {
      try {
        // A presence event (`p`) goes to the subscription's join/leave listeners, never to the handler.
        if (f.p) {
          sub.emit(f.p, { member: data as PresenceMember });
          continue;
        }
        // A schema's failure is the subscription's `error`; the offset moved on all the same: no gap.
        const c = sub.schema ? check(sub.schema, data, f.ch) : { value: data };
        if (c.error) sub.emit('error', new AnywireError('BAD_REQUEST', c.error));
        else (sub.handler as MessageHandler<unknown> | undefined)?.(c.value, meta); // a subscription may have no handler
      } catch (cause) {
        this.#host.report(cause, f.p ? `a "${f.p}" listener of "${f.ch}"` : `the message handler of "${f.ch}"`);
      }
    }
  }

  confirmed(f: SubscribedFrame): void {
    const rec = this.#records.get(f.ch);
    if (!rec || rec.subId !== f.id) return;
    const previous = rec.offset;
    if (f.gap || !(f.r && previous !== undefined && rec.epoch === f.e)) rec.offset = f.o;
    else rec.offset = Math.max(previous, f.o);
    rec.epoch = f.e;
    rec.confirmed = true;
    rec.retries = 0;
    // Position first, then the app: a listener that unsubscribes, closes or throws changes nothing above.
    if (f.gap) this.#gap(rec, f.gap, previous ?? 0);
    for (const sub of [...rec.subs]) {
      // A listener may have closed the client: the others stay `subscribing`.
      if (!rec.confirmed) return;
      sub.subscribed(f.r && !f.gap);
    }
  }

  /**
   * An error frame answering a `sub`. A passing refusal (broker down, rate limited) keeps the
   * subscription `subscribing` and asks again after a backoff; any other fails it for good.
   */
  refused(f: ErrorFrame & { id: number }): void {
    const err = new AnywireError(f.code as Code, f.msg, { retryAfter: f.retry });
    for (const rec of this.#records.values()) {
      if (rec.subId !== f.id) continue;
      if (f.code === 'BROKER_UNAVAILABLE' || f.code === 'RATE_LIMITED') return this.#retry(rec, err);
      this.#drop(rec);
      for (const sub of [...rec.subs]) sub.failed(err);
      return;
    }
  }

  #gap(rec: ChannelRecord, reason: GapReason, lastOffset: number): void {
    for (const sub of [...rec.subs]) sub.emit('gap', { channel: rec.name, reason, lastOffset });
  }

  #drop(rec: ChannelRecord): void {
    clearTimeout(rec.timer);
    this.#records.delete(rec.name);
  }

  #retry(rec: ChannelRecord, err: AnywireError): void {
    const id = rec.subId;
    const delay = Math.max(err.retryAfter ?? 0, backoffDelay(this.#host.retryPolicy, rec.retries++));
    clearTimeout(rec.timer);
    rec.timer = setTimeout(() => {
      rec.timer = undefined;
      // Only if nothing newer happened: same record, same request (a new link resubscribes anyway).
      if (this.#records.get(rec.name) === rec && rec.subId === id) this.#host.send([this.#subFrame(rec)]);
    }, delay);
    this.#host.error(err);
  }

  #subFrame(rec: ChannelRecord): ClientFrame {
    rec.subId = ++this.#subSeq;
    rec.confirmed = false;
    for (const sub of rec.subs) sub.subscribing();
    return withPresence({ t: 'sub', id: rec.subId, ch: rec.name, since: this.#since(rec) }, rec.subs, this.#host.clientId);
  }

  #since(rec: ChannelRecord): { e: string; o: number } | undefined {
    return rec.epoch !== undefined && rec.offset !== undefined ? { e: rec.epoch, o: rec.offset } : undefined;
  }
}
