// The client's channels: who subscribes to what, and each channel's recovery position (epoch and
// last delivered offset). Delivery is exactly once and in order by offset; `gap` is emitted before
// anything that follows a gap. Several subscriptions to one channel share one server subscription.
import { backoffDelay, type ReconnectOptions } from './backoff.js';
import type { Code } from './codes.js';
import { AnywireError, errorMessage } from './errors.js';
import type { ClientFrame, ErrorFrame, MessageFrame, SubscribedFrame } from './frames.js';
import { withPresence, type PresenceMember } from './presence.js';
import type { MessageHandler, Subscription } from './subscription.js';
import type { CursorEntry } from './transport.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- subscriptions of any data type share one record
export type AnySub = Subscription<any>;

/** Recovery position and subscribers of one channel. */
interface ChannelRecord {
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
}

/** What the channels need from the client. */
export interface ChannelsHost {
  /** Sends frames on the current link; false (nothing sent) when there is none. */
  send(frames: ClientFrame[]): boolean;
  /** Reports a diagnostic as the client's `error` event. */
  error(err: AnywireError): void;
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
      if (rec.confirmed) queueMicrotask(() => sub._subscribed(false));
    }
  }

  /** Removes a subscription; the channel's last one sends `unsub`. */
  leave(sub: AnySub): void {
    const rec = this.#records.get(sub.channel);
    if (!rec || !rec.subs.delete(sub) || rec.subs.size > 0) return;
    this.#records.delete(sub.channel);
    this.#host.send([{ t: 'unsub', ch: sub.channel }]);
  }

  /** `sub` frames for every channel, resuming from what was delivered (a new link). */
  resubscribe(): ClientFrame[] {
    return [...this.#records.values()].map((rec) => this.#subFrame(rec));
  }

  /** Every channel's subscription and position, for the HTTP transports' requests. */
  cursor(): CursorEntry[] {
    const out: CursorEntry[] = [];
    for (const rec of this.#records.values()) {
      const e: CursorEntry = { id: rec.subId, ch: rec.name };
      if (rec.epoch !== undefined && rec.offset !== undefined) e.since = { e: rec.epoch, o: rec.offset };
      if (rec.confirmed) e.q = true;
      out.push(e);
    }
    return out;
  }

  /** The link is gone: every subscription waits for the next one. */
  suspend(): void {
    for (const rec of this.#records.values()) {
      rec.confirmed = false;
      for (const sub of rec.subs) sub._subscribing();
    }
  }

  deliver(f: MessageFrame): void {
    const rec = this.#records.get(f.ch);
    if (!rec || !rec.confirmed) return;
    // Exactly once: anything at or below the last delivered offset was already delivered.
    if (rec.offset !== undefined && f.o <= rec.offset) return;
    rec.offset = f.o;
    const data = f.b ?? f.d;
    const meta = { channel: f.ch, offset: f.o };
    for (const sub of rec.subs) {
      try {
        // A presence event (`p`) goes to the subscription's join/leave listeners, never to the handler.
        if (f.p) sub.emit(f.p, { member: data as PresenceMember });
        else if (sub.handler) (sub.handler as MessageHandler<unknown>)(data, meta);
      } catch (cause) {
        this.#host.error(new AnywireError('PROTOCOL_ERROR', `a "${f.ch}" ${f.p || 'handler'} threw: ${errorMessage(cause)}`, { cause }));
      }
    }
  }

  confirmed(f: SubscribedFrame): void {
    const rec = this.#records.get(f.ch);
    if (!rec || rec.subId !== f.id) return;
    if (f.gap) {
      const lastOffset = rec.offset ?? 0;
      for (const sub of rec.subs) sub.emit('gap', { channel: f.ch, reason: f.gap, lastOffset });
      rec.offset = f.o;
    } else if (f.r && rec.offset !== undefined && rec.epoch === f.e) {
      rec.offset = Math.max(rec.offset, f.o);
    } else {
      rec.offset = f.o;
    }
    rec.epoch = f.e;
    rec.confirmed = true;
    rec.retries = 0;
    for (const sub of [...rec.subs]) sub._subscribed(f.r && !f.gap);
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
      this.#records.delete(rec.name);
      for (const sub of [...rec.subs]) sub._failed(err);
      return;
    }
  }

  #retry(rec: ChannelRecord, err: AnywireError): void {
    this.#host.error(err);
    const id = rec.subId;
    const delay = Math.max(err.retryAfter ?? 0, backoffDelay(this.#host.retryPolicy, rec.retries++));
    setTimeout(() => {
      // Only if nothing newer happened: same record, same request (a new link resubscribes anyway).
      if (this.#records.get(rec.name) === rec && rec.subId === id) this.#host.send([this.#subFrame(rec)]);
    }, delay);
  }

  #subFrame(rec: ChannelRecord): ClientFrame {
    rec.subId = ++this.#subSeq;
    rec.confirmed = false;
    for (const sub of rec.subs) sub._subscribing();
    const since = rec.epoch !== undefined && rec.offset !== undefined ? { e: rec.epoch, o: rec.offset } : undefined;
    return withPresence({ t: 'sub', id: rec.subId, ch: rec.name, since }, rec.subs, this.#host.clientId);
  }
}
