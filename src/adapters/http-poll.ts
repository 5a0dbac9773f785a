// The request loop shared by long polling and short polling. Each poll carries the whole cursor;
// the server answers with what the channels' histories hold after it (and, for a long poll, waits
// for the next message). A cursor change aborts the poll in flight and asks again at once: the
// aborted answer is simply replayed by the next one, since the cursor only moves on what arrived.
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
  #poll: AbortController | undefined;
  #wake: (() => void) | undefined;
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  #dirty = false;
  /** The cursor version the poll in flight carries. */
  #sentVersion = -1;

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

  protected cursorChanged(): void {
    if (this.#poll && this.#sentVersion === this.cursorVersion) return; // it already carries this cursor
    this.#dirty = true;
    this.#poll?.abort();
    this.#wake?.();
  }

  protected override stopped(): void {
    clearTimeout(this.#waitTimer);
    this.#wake?.();
    // Best effort goodbye, so the server can announce the disconnect (it keeps no state to notice).
    const fetchFn = this.ctx.runtime.fetch;
    if (this.sid === undefined || !fetchFn) return;
    fetchFn(`${this.ctx.url}/close`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ sid: this.sid }),
      keepalive: true,
    }).then(
      (res) => void res.body?.cancel().catch(() => {}),
      () => {},
    );
  }

  async #loop(): Promise<void> {
    while (!this.closed) {
      const poll = new AbortController();
      this.#poll = poll;
      this.#dirty = false;
      this.#sentVersion = this.cursorVersion;
      const onLife = () => poll.abort();
      this.life.signal.addEventListener('abort', onLife, { once: true });
      const body = this.cursorBody();
      try {
        const frames = await postFrames(this.ctx, this.settings.path, { body, signal: poll.signal, timeout: this.requestTimeout });
        this.#poll = undefined;
        this.deliver(frames);
      } catch (err) {
        this.#poll = undefined;
        if (this.closed) return;
        if (poll.signal.aborted) continue; // the cursor changed: ask again with the new one
        return this.failWith(err);
      } finally {
        this.life.signal.removeEventListener('abort', onLife);
      }
      if (this.settings.interval > 0 && !this.#dirty && !this.closed) await this.#pause(this.settings.interval);
    }
  }

  /** Waits `ms`, or less when the cursor changes or the transport closes. */
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
