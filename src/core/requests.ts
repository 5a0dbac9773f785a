// The client's read-only requests (a history page, a presence list): each waits for its one answer
// frame (matched by id), is sent again on every new link until answered (reads are idempotent),
// and rejects with TIMEOUT after the publish timeout, or CLOSED on `close()`.
import type { Code } from './codes.js';
import { AnywireError } from './errors.js';
import type { ErrorFrame, HistoryAnswerFrame, HistoryFrame, PresenceAnswerFrame, PresenceFrame } from './frames.js';

export type RequestFrame = HistoryFrame | PresenceFrame;
export type AnswerFrame = HistoryAnswerFrame | PresenceAnswerFrame;

interface Pending {
  frame: RequestFrame;
  resolve: (f: AnswerFrame) => void;
  reject: (e: AnywireError) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class Requests {
  readonly #pending = new Map<string, Pending>();
  readonly #nonce = 'q' + Math.random().toString(36).slice(2, 8) + '-';
  #seq = 0;

  /** `send` puts frames on the current link; false when there is none (the request waits for one). */
  constructor(
    readonly timeout: number,
    readonly send: (frame: RequestFrame) => boolean,
  ) {}

  /** Sends a request (`id` is filled in) and resolves with its answer frame. */
  add<F extends AnswerFrame>(frame: Omit<HistoryFrame, 'id'> | Omit<PresenceFrame, 'id'>): Promise<F> {
    const full = { ...frame, id: this.#nonce + ++this.#seq } as RequestFrame;
    const promise = new Promise<AnswerFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(full.id);
        reject(new AnywireError('TIMEOUT', `no answer from the server within ${this.timeout} ms`));
      }, this.timeout);
      this.#pending.set(full.id, { frame: full, resolve, reject, timer });
    });
    this.send(full);
    return promise as Promise<F>;
  }

  /** Every request still waiting: sent again on a new link. */
  frames(): RequestFrame[] {
    return [...this.#pending.values()].map((p) => p.frame);
  }

  /** Settles the request an answer or `err` frame answers; false when the id is not a request's. */
  settle(frame: AnswerFrame | ErrorFrame): boolean {
    const p = typeof frame.id === 'string' ? this.#pending.get(frame.id) : undefined;
    if (!p) return false;
    this.#pending.delete(frame.id as string);
    clearTimeout(p.timer);
    if (frame.t === 'err') p.reject(new AnywireError(frame.code as Code, frame.msg, { retryAfter: frame.retry }));
    else p.resolve(frame);
    return true;
  }

  rejectAll(code: Code, message: string): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(new AnywireError(code, message));
    }
    this.#pending.clear();
  }
}
