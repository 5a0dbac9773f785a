// WebSocket transport: one socket, frames as JSON text (a batch is a JSON array), a frame with
// binary data as one binary message (JSON header, "\n", bytes).
import { AnywireError } from '../core/errors.js';
import { batchText, binaryFrame, checkFrames, encodeBinary, expired, readFrames, type ClientFrame } from '../core/frames.js';
import type { Transport, TransportContext, TransportFactory, TransportHandlers, WebSocketLike } from '../core/transport.js';

/** `http(s)://host/path` → `ws(s)://host/path`. */
function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):\/\//i, 'ws$1://');
}

class WebSocketTransport implements Transport {
  readonly name = 'websocket' as const;
  readonly duplex = true;
  readonly #ctx: TransportContext;
  #ws: WebSocketLike | undefined;
  #closed = false;
  /** Frames waiting for the end of the current task; undefined when no flush is queued. */
  #queue: ClientFrame[] | undefined;

  constructor(ctx: TransportContext) {
    this.#ctx = ctx;
  }

  open(handlers: TransportHandlers, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new this.#ctx.runtime.WebSocket!(toWebSocketUrl(this.#ctx.url));
      } catch (err) {
        // Also a runtime without WebSocket: "… is not a constructor".
        return reject(new AnywireError('PROTOCOL_ERROR', `cannot open WebSocket: ${(err as Error).message}`, { cause: err }));
      }
      this.#ws = ws;
      ws.binaryType = 'arraybuffer';
      let opened = false;
      const onAbort = () => this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      ws.onopen = () => {
        opened = true;
        resolve();
      };
      ws.onmessage = ({ data }) => {
        if (this.#closed) return;
        let frames;
        if (typeof data === 'string') {
          frames = readFrames(data);
        } else {
          const frame = binaryFrame(new Uint8Array(data as ArrayBuffer));
          frames = typeof frame === 'string' ? frame : checkFrames([frame]);
        }
        if (typeof frames !== 'string') return handlers.onFrames(frames);
        this.close();
        handlers.onClose({ reason: `protocol error: ${frames}`, code: 'PROTOCOL_ERROR' });
      };
      ws.onerror = () => {};
      ws.onclose = ({ code, reason }) => {
        signal.removeEventListener('abort', onAbort);
        if (this.#closed) return;
        this.#closed = true;
        const why = reason ? `${code} ${reason}` : `closed (${code})`;
        if (!opened) return reject(new AnywireError('DISCONNECTED', `WebSocket failed to open: ${why}`));
        // The server puts `CODE` or `CODE retry=MS` in the close reason.
        const m = /^([A-Z_]+)(?: retry=(\d+))?/.exec(reason);
        handlers.onClose({ reason: `WebSocket ${why}`, code: m?.[1], retryAfter: m?.[2] ? +m[2] : undefined });
      };
    });
  }

  send(frames: ClientFrame[]): void {
    if (this.#closed || this.#ws?.readyState !== 1) return;
    // Frames sent in one task go out as one message: a socket write per publish costs more than
    // the publish itself (writev was a third of the client's CPU in the throughput bench).
    if (!this.#queue) {
      this.#queue = [];
      queueMicrotask(() => this.#flush());
    }
    for (const f of frames) this.#queue.push(f);
  }

  #flush(): void {
    const frames = this.#queue;
    this.#queue = undefined;
    const ws = this.#ws;
    if (!frames || ws?.readyState !== 1) return;
    let text: ClientFrame[] = [];
    for (const f of frames) {
      if (expired.has(f)) continue;
      if (f.t === 'pub' && f.b) {
        if (text.length) ws.send(batchText(text));
        text = [];
        ws.send(encodeBinary(f as typeof f & { b: Uint8Array }));
      } else {
        text.push(f);
      }
    }
    if (text.length) ws.send(batchText(text));
  }

  close(): void {
    if (this.#closed) return;
    this.#flush(); // frames sent just before close() still leave, in order
    this.#closed = true;
    try {
      this.#ws?.close(1000);
    } catch {
      // A socket still CONNECTING may throw in some runtimes; it is being dropped either way.
    }
  }
}

/** The WebSocket transport factory. */
export const websocket: TransportFactory = {
  name: 'websocket',
  create: (ctx) => new WebSocketTransport(ctx),
};
