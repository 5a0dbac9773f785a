import { AnywireError } from './errors.js';
import type { AckFrame, ErrorFrame, PublishFrame } from './frames.js';
import type { Code } from './codes.js';

interface Pending {
  frame: PublishFrame;
  resolve: (r: { offset: number }) => void;
  reject: (e: AnywireError) => void;
  /** Date.now() after which it rejects with TIMEOUT. */
  deadline: number;
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
  readonly #nonce = Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  #seq = 0;

  readonly #timeout: number;
  readonly #maxQueued: number;

  constructor(timeout: number, maxQueued: number) {
    this.#timeout = timeout;
    this.#maxQueued = maxQueued;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Registers a publish; returns its frame (to send now when connected) and the promise. */
  add(channel: string, data: { d: unknown } | { b: Uint8Array }, connected: boolean) {
    if (!connected && this.#pending.size >= this.#maxQueued) {
      return {
        frame: undefined,
        promise: Promise.reject(new AnywireError('RATE_LIMITED', `publish queue is full (${this.#maxQueued} waiting)`)),
      };
    }
    const id = `${this.#nonce}-${++this.#seq}`;
    const frame: PublishFrame = { t: 'pub', id, ch: channel, ...data };
    const promise = new Promise<{ offset: number }>((resolve, reject) => {
      this.#pending.set(id, { frame, resolve, reject, deadline: Date.now() + this.#timeout });
    });
    this.#arm();
    return { frame, promise };
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#pending.values().next().value;
    if (!first) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, first.deadline - Date.now()));
  }

  /** Nothing left to time out: no timer outlives the work (it would hold a Node event loop open). */
  #idle(): void {
    if (this.#pending.size > 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #expire(): void {
    this.#timer = undefined;
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) break;
      this.#pending.delete(id);
      p.reject(new AnywireError('TIMEOUT', `publish to "${p.frame.ch}" was not acknowledged within ${this.#timeout} ms`));
    }
    this.#arm();
  }

  /** Every unacknowledged frame, oldest first: sent again after a (re)connect. */
  frames(): PublishFrame[] {
    return [...this.#pending.values()].map((p) => p.frame);
  }

  ack(frame: AckFrame): void {
    const p = this.#pending.get(frame.id);
    if (!p) return;
    this.#pending.delete(frame.id);
    this.#idle();
    p.resolve({ offset: frame.o });
  }

  /** Rejects the publish an error frame answers; returns false when the id is not a publish. */
  fail(frame: ErrorFrame): boolean {
    if (typeof frame.id !== 'string') return false;
    const p = this.#pending.get(frame.id);
    if (!p) return false;
    this.#pending.delete(frame.id);
    this.#idle();
    p.reject(new AnywireError(frame.code as Code, frame.msg, { retryAfter: frame.retry }));
    return true;
  }

  rejectAll(code: Code, message: string): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const p of this.#pending.values()) p.reject(new AnywireError(code, message));
    this.#pending.clear();
  }
}
