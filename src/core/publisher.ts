import { AnywireError } from './errors.js';
import {
  PublishText,
  expired,
  type AckFrame,
  type ErrorFrame,
  type HistoryAnswerFrame,
  type HistoryFrame,
  type PresenceAnswerFrame,
  type PresenceFrame,
  type PublishFrame,
} from './frames.js';

/** A read-only request (a history page, a presence list), waiting like a publish for its one answer. */
export type RequestFrame = HistoryFrame | PresenceFrame;
type AnswerFrame = HistoryAnswerFrame | PresenceAnswerFrame;
import type { Code } from './codes.js';

interface Pending {
  frame: PublishFrame | RequestFrame;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- { offset } for a publish, the answer frame for a request
  resolve: (r: any) => void;
  reject: (e: AnywireError) => void;
  /** Date.now() after which it rejects with TIMEOUT. */
  deadline: number;
}

function nonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  let s = '';
  for (const b of bytes) s += (b + 256).toString(16).slice(1);
  return s + '-';
}

/**
 * Publishes waiting for their ack. A publish stays here, in order, until acked, rejected or timed
 * out; after a reconnect every one of them is sent again with its original id, and the server
 * stores a retried id once.
 */
export class Publisher {
  /** In insertion order, which is deadline order: every publish has the same timeout. */
  readonly #pending = new Map<string, Pending>();
  /** One timer for all publishes, armed for the oldest one's deadline (not one timer each). */
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** 96 random bits (Web Crypto, in browsers and Node): another client cannot guess, and so pre-empt, our ids. */
  readonly #nonce = nonce();
  #seq = 0;

  /**
   * `send` puts a frame on the current link and returns false when there is none; then the
   * publish waits for the next link. At most `maxQueued` publishes wait for their ack, queued or in
   * flight: the outbox of every transport is bounded by it.
   */
  constructor(
    readonly timeout: number,
    readonly maxQueued: number,
    readonly send: (frame: PublishFrame | RequestFrame) => boolean,
  ) {}

  /**
   * Registers a publish and sends it when a link is up. `text` is the data's JSON (carried in the
   * frame, so it is stringified once); `bytes` a binary payload instead.
   */
  add(channel: string, data: unknown, text: string | undefined, bytes: Uint8Array | undefined): Promise<{ offset: number }> {
    if (this.#pending.size >= this.maxQueued) {
      return Promise.reject(new AnywireError('RATE_LIMITED', `too many publishes waiting for their ack (${this.maxQueued})`));
    }
    const id = this.#nonce + ++this.#seq;
    return this.#add(bytes ? { t: 'pub', id, ch: channel, b: bytes } : new PublishText(id, channel, data, text!));
  }

  /**
   * A history or presence request: sent again on every new link until answered (reads are
   * idempotent), with the publish timeout; resolves with the answer frame.
   */
  ask<F extends AnswerFrame>(frame: Omit<HistoryFrame, 'id'> | Omit<PresenceFrame, 'id'>): Promise<F> {
    return this.#add({ ...frame, id: this.#nonce + ++this.#seq } as RequestFrame);
  }

  #add<R>(frame: PublishFrame | RequestFrame): Promise<R> {
    const id = frame.id;
    // Registered before it is sent: an answer may come back at once.
    const promise = new Promise<R>((resolve, reject) => {
      this.#pending.set(id, { frame, resolve, reject, deadline: Date.now() + this.timeout });
    });
    this.send(frame);
    this.#timer ??= this.#arm();
    return promise;
  }

  /** A timer for the oldest publish's deadline, or undefined when none is waiting. */
  #arm(): ReturnType<typeof setTimeout> | undefined {
    const first = this.#pending.values().next().value;
    return first && setTimeout(() => this.#expire(), Math.max(1, first.deadline - Date.now()));
  }

  #expire(): void {
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) break;
      this.#pending.delete(id);
      // Not sent after its promise gave up: a transport skips it if it still holds it.
      expired.add(p.frame);
      p.reject(
        new AnywireError(
          'TIMEOUT',
          `${p.frame.t === 'pub' ? 'publish to' : 'request on'} "${p.frame.ch}" was not acknowledged within ${this.timeout} ms`,
        ),
      );
    }
    this.#timer = this.#arm();
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Every unacknowledged frame, oldest first: sent again after a (re)connect. */
  frames(): (PublishFrame | RequestFrame)[] {
    return [...this.#pending.values()].map((p) => p.frame);
  }

  /** Settles the publish or request an `ack`, answer or `err` frame answers; false when the id is not one of them. */
  settle(frame: AckFrame | ErrorFrame | AnswerFrame): boolean {
    const p = typeof frame.id === 'string' && this.#pending.get(frame.id);
    if (!p) return false;
    this.#pending.delete(frame.id as string);
    // Nothing left to time out: no timer outlives the work (it would hold a Node event loop open).
    if (!this.#pending.size) this.#stop();
    if (frame.t === 'ack') p.resolve({ offset: frame.o });
    else if (frame.t !== 'err') p.resolve(frame);
    else p.reject(new AnywireError(frame.code as Code, frame.msg, { retryAfter: frame.retry }));
    return true;
  }

  rejectAll(code: Code, message: string): void {
    this.#stop();
    for (const p of this.#pending.values()) p.reject(new AnywireError(code, message));
    this.#pending.clear();
  }
}
