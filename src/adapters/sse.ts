// SSE streaming: server→client frames arrive as Server-Sent Events on a POST response read with
// fetch and a small SSE parser (one code path in browsers and Node, and the token can travel as a
// header, which EventSource cannot do). Client→server frames go by POST beside the stream.
//
// The first stream performs the handshake: its first event is the welcome, so a proxy that buffers
// the stream makes the handshake time out and the client falls back. When the subscriptions
// change, the stream is reopened with the new cursor (batched per tick); nothing is lost, since
// the new stream replays from the offsets the client has. The server hears the client only by
// POST, so every heartbeat comment on the stream is answered with one (see the comment handler).
import { errorMessage } from '../core/errors.js';
import { PROTOCOL_VERSION } from '../core/frames.js';
import { authHeaders, HttpFailure, HttpTransportBase, parseFrames, post, type Pending } from './http-common.js';
import { sseParser } from './sse-parser.js';
import type { TransportFactory } from './types.js';

class SseTransport extends HttpTransportBase {
  readonly name = 'sse' as const;
  readonly duplex = false;
  /** The current stream; a reopened stream aborts the previous one. */
  private stream: AbortController | undefined;
  /** The cursor version the current stream was opened with. */
  private streamVersion = -1;

  protected handshake(token: string | undefined): void {
    this.openStream(JSON.stringify({ connect: { t: 'connect', v: PROTOCOL_VERSION } }), authHeaders(token), 0);
  }

  protected cursorChanged(): void {
    if (this.stream && this.streamVersion === this.cursorVersion) return; // it already carries this cursor
    this.streamVersion = this.cursorVersion;
    const body = this.cursorBody();
    this.openStream(body, {}, this.requestTimeout);
  }

  protected override stopped(): void {
    this.stream?.abort();
    this.stream = undefined;
  }

  private openStream(body: string, headers: Record<string, string>, timeout: number): void {
    this.stream?.abort();
    const stream = new AbortController();
    this.stream = stream;
    void this.read(stream, body, headers, timeout);
  }

  private async read(stream: AbortController, body: string, headers: Record<string, string>, timeout: number): Promise<void> {
    const current = () => this.stream === stream && !stream.signal.aborted && !this.closed;
    let pending: Pending;
    try {
      // The timeout covers the response headers only; the stream itself is watched by heartbeats.
      pending = await post(this.ctx, 'sse', {
        body,
        signal: stream.signal,
        timeout,
        headersOnly: true,
        headers: { Accept: 'text/event-stream', ...headers },
      });
    } catch (err) {
      if (current()) this.failWith(err);
      return;
    }
    try {
      await this.consume(pending.res, current);
    } finally {
      pending.done();
    }
  }

  private async consume(res: Response, current: () => boolean): Promise<void> {
    const type = res.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !res.body) {
      void res.body?.cancel().catch(() => {});
      if (current()) this.fail({ reason: `SSE answered with "${type}", not an event stream`, code: 'PROTOCOL_ERROR' });
      return;
    }
    const feed = sseParser(
      (data) => {
        if (!current()) return;
        let frames;
        try {
          frames = parseFrames(data);
        } catch (err) {
          return this.failWith(err);
        }
        this.deliver(frames);
      },
      // Heartbeat comments: an empty batch tells the core the link is alive. The server cannot hear
      // us on the stream, so each one is answered by POST: a ping, unless a POST went out within
      // half an interval (any POST proves us alive; a ping joins one that is waiting).
      () => {
        if (!current()) return;
        this.handlers?.onFrames([]);
        if (Date.now() - this.posted > this.hb / 2) this.send([{ t: 'ping' }]);
      },
    );
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || !current()) break;
        feed(decoder.decode(value, { stream: true }));
      }
    } catch (err) {
      if (current()) this.failWith(new HttpFailure({ reason: `SSE stream failed: ${errorMessage(err)}` }));
      return;
    } finally {
      reader.cancel().catch(() => {});
    }
    // An unfinished event at the end of the stream is dropped: only whole events carry frames.
    if (current()) this.fail({ reason: 'SSE stream ended by the server' });
  }
}

/** The SSE transport factory. */
export const sse: TransportFactory = {
  name: 'sse',
  create: (ctx) => new SseTransport(ctx),
};
