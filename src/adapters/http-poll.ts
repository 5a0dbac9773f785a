// The request loop shared by long polling and short polling. Each poll carries the whole cursor, so
// that any node can rebuild the session; the server answers with what the session queued (and, for
// a long poll, waits for the next frame). Subscription changes go by POST /send: a held poll is
// never aborted for them, its answer brings their `subd`.
import type { TransportName } from './types.js';
import { PROTOCOL_VERSION } from '../core/frames.js';
import { authHeaders, HttpTransportBase, postFrames } from './http-common.js';
import type { TransportContext } from './types.js';

export interface PollSettings {
  name: 'long-polling' | 'polling';
  /** Server path of the poll endpoint. */
  path: string;
  /** ms to wait between the end of one poll and the next (0: ask again at once). */
  interval: number;
}

export class PollTransport extends HttpTransportBase {
  readonly name: TransportName;
  readonly duplex = false;
  #wake: (() => void) | undefined;
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  #dirty = false;

  constructor(
    ctx: TransportContext,
    private readonly settings: PollSettings,
  ) {
    super(ctx);
    this.name = settings.name;
  }

  protected handshake(token: string | undefined): void {
    const body = JSON.stringify({ t: 'connect', v: PROTOCOL_VERSION, transport: this.name });
    postFrames(this.ctx, 'connect', { body, signal: this.life.signal, timeout: 0, headers: authHeaders(token) }).then(
      (frames) => {
        this.deliver(frames);
        // Start polling once the core has sent its subscriptions (it does so as it adopts the link).
        if (this.sid !== undefined) setTimeout(() => void this.#loop(), 0);
        else this.fail({ reason: 'connect answered without a welcome', code: 'PROTOCOL_ERROR' });
      },
      (err) => this.failWith(err),
    );
  }

  /** Short polling asks at once after a subscription change, for its `subd`. */
  protected override changed(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  protected override stopped(): void {
    clearTimeout(this.#waitTimer);
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    while (!this.closed) {
      const poll = new AbortController();
      this.#dirty = false;
      const onLife = () => poll.abort();
      this.life.signal.addEventListener('abort', onLife, { once: true });
      const body = this.cursorBody();
      try {
        const frames = await postFrames(this.ctx, this.settings.path, { body, signal: poll.signal, timeout: this.requestTimeout });
        this.deliver(frames);
      } catch (err) {
        if (this.closed) return;
        return this.failWith(err);
      } finally {
        this.life.signal.removeEventListener('abort', onLife);
      }
      if (this.settings.interval > 0 && !this.#dirty && !this.closed) await this.#pause(this.settings.interval);
    }
  }

  /** Waits `ms`, or less when the subscriptions change or the transport closes. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.#waitTimer);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      this.#waitTimer = setTimeout(done, ms);
    });
  }
}
