// WebSocket transport: one socket, frames as JSON text (a batch is a JSON array), a frame with
// binary data as one binary message (JSON header, "\n", bytes).
import { AnywireError } from '../core/errors.js';
import { decodeBinary, decodeText, encodeBinary, serverFrame, type ClientFrame } from '../core/frames.js';
import type { Transport, TransportContext, TransportFactory, TransportHandlers, WebSocketLike } from './types.js';

/** `http(s)://host/path` → `ws(s)://host/path`. */
export function toWebSocketUrl(url: string): string {
  return url.replace(/^http(s?):\/\//i, 'ws$1://');
}

class WebSocketTransport implements Transport {
  readonly name = 'websocket' as const;
  readonly duplex = true;
  private ws: WebSocketLike | undefined;
  private closed = false;
  /** Frames waiting for the end of the current task. */
  private queue: ClientFrame[] = [];
  private flushing = false;

  constructor(private readonly ctx: TransportContext) {}

  open(handlers: TransportHandlers, signal: AbortSignal): Promise<void> {
    const WS = this.ctx.runtime.WebSocket;
    if (!WS) return Promise.reject(new AnywireError('PROTOCOL_ERROR', 'no WebSocket in this runtime'));
    return new Promise((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new WS(toWebSocketUrl(this.ctx.url));
      } catch (err) {
        reject(new AnywireError('PROTOCOL_ERROR', `cannot open WebSocket: ${(err as Error).message}`, { cause: err }));
        return;
      }
      this.ws = ws;
      ws.binaryType = 'arraybuffer';
      let opened = false;
      const onAbort = () => this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      ws.onopen = () => {
        opened = true;
        resolve();
      };
      ws.onmessage = (ev) => {
        if (this.closed) return;
        const data = ev.data;
        const decoded =
          typeof data === 'string'
            ? decodeText(serverFrame, data)
            : decodeBinary(serverFrame, new Uint8Array(data as ArrayBuffer));
        if (!decoded.ok) {
          this.close();
          handlers.onClose({ reason: `protocol error: ${decoded.error}`, code: 'PROTOCOL_ERROR' });
          return;
        }
        handlers.onFrames(decoded.frames);
      };
      ws.onerror = () => {};
      ws.onclose = (ev) => {
        signal.removeEventListener('abort', onAbort);
        if (this.closed) return;
        this.closed = true;
        const reason = ev.reason ? `${ev.code} ${ev.reason}` : `closed (${ev.code})`;
        if (!opened) {
          reject(new AnywireError('DISCONNECTED', `WebSocket failed to open: ${reason}`));
          return;
        }
        handlers.onClose({ reason: `WebSocket ${reason}`, ...parseCloseReason(ev.reason) });
      };
    });
  }

  send(frames: ClientFrame[]): void {
    const ws = this.ws;
    if (!ws || this.closed || ws.readyState !== 1) return;
    // Frames sent in one task go out as one message: a socket write per publish costs more than
    // the publish itself (writev was a third of the client's CPU in the throughput bench).
    for (const f of frames) this.queue.push(f);
    if (this.flushing) return;
    this.flushing = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const frames = this.queue;
    if (frames.length === 0) return;
    this.queue = [];
    const ws = this.ws;
    if (!ws || ws.readyState !== 1) return;
    let text: ClientFrame[] = [];
    for (const f of frames) {
      if (f.t === 'pub' && f.b) {
        if (text.length) ws.send(encodeTextFrames(text));
        text = [];
        ws.send(encodeBinary(f as typeof f & { b: Uint8Array }));
      } else {
        text.push(f);
      }
    }
    if (text.length) ws.send(encodeTextFrames(text));
  };

  close(): void {
    if (this.closed) return;
    this.flush(); // frames sent just before close() still leave, in order
    this.closed = true;
    try {
      this.ws?.close(1000);
    } catch {
      // A socket still CONNECTING may throw in some runtimes; it is being dropped either way.
    }
  }
}

function encodeTextFrames(frames: ClientFrame[]): string {
  return frames.length === 1 ? JSON.stringify(frames[0]) : JSON.stringify(frames);
}

/** The server puts `CODE` or `CODE retry=MS` in the close reason. */
function parseCloseReason(reason: string): { code?: string; retryAfter?: number } {
  const m = /^([A-Z_]+)(?: retry=(\d+))?/.exec(reason);
  if (!m) return {};
  return m[2] ? { code: m[1]!, retryAfter: Number(m[2]) } : { code: m[1]! };
}

/** The WebSocket transport factory. */
export const websocket: TransportFactory = {
  name: 'websocket',
  create: (ctx) => new WebSocketTransport(ctx),
};
