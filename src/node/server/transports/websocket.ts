// The WebSocket handler: `ws` in noServer mode behind the server's upgrade routing. One Session per
// socket; frames written to the socket are batched per microtask into one message.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { AnywireError } from '../../../core/errors.js';
import { PROTOCOL_VERSION } from '../../../core/frames.js';
import { connectFrame } from '../../../core/schemas.js';
import type { ServerCore } from '../core.js';
import { decodeClientBinary, decodeClientText, type Inbound } from '../inbound.js';
import type { Outgoing, Sink } from '../outgoing.js';
import { Session } from '../session.js';

/** Sinks with frames waiting; flushed together once per microtask checkpoint. */
const dirty = new Set<WebSocketSink>();
let flushScheduled = false;
function flushAll(): void {
  flushScheduled = false;
  for (const sink of dirty) sink.flush();
  dirty.clear();
}

class WebSocketSink implements Sink {
  private queue: string[] = [];
  closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBuffered: number,
  ) {}

  frame(frame: object): void {
    this.push(JSON.stringify(frame));
  }

  message(m: Outgoing): void {
    if (m.binary) {
      this.flush();
      this.write(m.bytes);
    } else {
      this.push(m.text);
    }
  }

  heartbeat(): void {
    this.push('{"t":"ping"}');
  }

  close(code: string, message: string, retryAfter?: number): void {
    if (this.closed) return;
    const frame: Record<string, unknown> = { t: 'err', code, msg: message };
    if (retryAfter !== undefined) frame.retry = retryAfter;
    this.push(JSON.stringify(frame));
    this.flush();
    this.closed = true;
    const reason = retryAfter === undefined ? code : `${code} retry=${retryAfter}`;
    this.ws.close(code === 'SERVER_SHUTTING_DOWN' ? 1012 : code === 'PROTOCOL_ERROR' ? 1002 : 1008, reason);
  }

  private push(text: string): void {
    if (this.closed) return;
    this.queue.push(text);
    dirty.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flushAll);
    }
  }

  flush(): void {
    const q = this.queue;
    if (q.length === 0 || this.closed) return;
    this.queue = [];
    this.write(q.length === 1 ? q[0]! : '[' + q.join(',') + ']');
  }

  private write(data: string | Buffer): void {
    if (this.closed || this.ws.readyState !== 1) return;
    if (this.ws.bufferedAmount > this.maxBuffered) {
      // A slow reader is cut off rather than growing our memory; it resumes from history.
      this.close('SLOW_CONSUMER', `more than ${this.maxBuffered} bytes waiting`);
      return;
    }
    this.ws.send(data);
  }
}

export class WebSocketHandler {
  private readonly wss: WebSocketServer;

  constructor(private readonly core: ServerCore) {
    const max = core.options.maxPayload;
    this.wss = new WebSocketServer({
      noServer: true,
      // Room for base64 and the frame around the largest allowed payload; beyond this ws closes
      // the socket with 1009, a protocol violation rather than a publish to refuse politely.
      maxPayload: Math.ceil(max * 1.4) + 64 * 1024,
      perMessageDeflate: false,
      clientTracking: true,
    });
  }

  get connections(): number {
    return this.wss.clients.size;
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onSocket(ws, request));
  }

  private onSocket(ws: WebSocket, upgradeRequest: IncomingMessage): void {
    const core = this.core;
    // Kept only until `authenticate` has it: held for the socket's life, the request and its
    // headers cost ~0.8 KB of heap per idle connection.
    let request: IncomingMessage | undefined = upgradeRequest;
    const sink = new WebSocketSink(ws, core.options.maxBufferedBytes);
    let session: Session | undefined;
    let authenticating = false;
    /** Frames a pipelining client sent before its welcome; handled once authenticated. */
    let early: Inbound[] = [];
    ws.on('error', () => {});
    let handshake: ReturnType<typeof setTimeout> | undefined = setTimeout(
      () => sink.close('TIMEOUT', 'no connect frame in time'),
      core.options.handshakeTimeout,
    );

    ws.on('message', (data: RawData, isBinary: boolean) => {
      const inbound = decode(data, isBinary);
      if (inbound.violation) return sink.close('PROTOCOL_ERROR', inbound.violation);
      for (const e of inbound.errors) sink.frame(e);
      if (session) return session.receive(inbound.frames);
      if (authenticating) {
        if (early.length >= 64) return sink.close('PROTOCOL_ERROR', 'too many frames before the welcome');
        early.push(inbound);
        return;
      }
      const first = connectFrame.safeParse(inbound.frames[0]);
      if (!first.success || inbound.frames.length !== 1) {
        return sink.close('PROTOCOL_ERROR', `the first frame must be {"t":"connect","v":${PROTOCOL_VERSION}}`);
      }
      authenticating = true;
      const req = request!;
      request = undefined;
      core.authenticate(first.data.token, req).then(
        (identity) => {
          clearTimeout(handshake);
          handshake = undefined; // a cleared timer still holds ~120 bytes while referenced
          if (sink.closed) return;
          if (core.closing) return sink.close('SERVER_SHUTTING_DOWN', 'server is shutting down', core.options.shutdownRetryAfter);
          session = new Session(core, sink, { id: randomUUID(), identity, transport: 'websocket' });
          sink.frame({
            t: 'welcome',
            v: PROTOCOL_VERSION,
            sid: session.id,
            hb: core.options.heartbeatInterval,
            max: core.options.maxPayload,
          });
          core.opened(session);
          for (const e of early) session.receive(e.frames);
          early = [];
        },
        (err: AnywireError) => {
          clearTimeout(handshake);
          sink.close(err.code ?? 'UNAUTHORIZED', err.message);
        },
      );
    });

    ws.on('close', (code, reason) => {
      clearTimeout(handshake);
      sink.closed = true;
      if (session) core.closed(session, reason.length ? reason.toString() : `socket closed (${code})`);
    });
  }

  /** Tells every client to reconnect (elsewhere) and closes their sockets. */
  async shutdown(retryAfter: number): Promise<void> {
    for (const s of [...this.core.live]) {
      if (s.transport === 'websocket') s.sink.close('SERVER_SHUTTING_DOWN', 'server is shutting down', retryAfter);
    }
    const pending = [...this.wss.clients].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve();
          ws.once('close', () => resolve());
          if (ws.readyState !== ws.CLOSING) ws.close(1012, 'SERVER_SHUTTING_DOWN');
        }),
    );
    // Give clients a moment to answer the close handshake, then cut whoever did not.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(pending), new Promise<void>((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function decode(data: RawData, isBinary: boolean): Inbound {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return isBinary ? decodeClientBinary(buf) : decodeClientText(buf.toString('utf8'));
}
