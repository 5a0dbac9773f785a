// The WebSocket handler: `ws` in noServer mode behind the server's upgrade routing. One Session per
// socket; frames written to the socket are batched per microtask into one message.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AnywireError } from '../../../core/errors.js';
import { PROTOCOL_VERSION } from '../../../core/frames.js';
import type { ServerCore } from '../core.js';
import type { Identity } from '../options.js';
import { decodeClientBinary, decodeClientText, type Inbound } from '../inbound.js';
import type { Outgoing, Sink } from '../outgoing.js';
import { Session, type ChannelSub, type Upstream } from '../session.js';
import { expField, expiryOf } from '../token-expiry.js';

/** Connections with frames waiting; flushed together once per microtask checkpoint. */
const dirty = new Set<Connection>();
let flushScheduled = false;
/**
 * True while a message of one frame is handled synchronously: what it produces for a connection
 * with nothing waiting (the `msg` of a publish, to each subscriber) is written at once instead of
 * at the microtask checkpoint. A batch of frames still batches its answers: it is what queues up.
 */
let direct = false;
function flushAll(): void {
  flushScheduled = false;
  for (const c of dirty) c.flush();
  dirty.clear();
}

/**
 * The socket class `ws` creates for us: it carries its connection in a field, so the listeners
 * below are shared functions rather than closures made per socket (memory per idle connection is a
 * headline figure).
 */
class AnywireSocket extends WebSocket {
  connection: Connection | undefined = undefined;
}

function noop(): void {}
function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as AnywireSocket).connection!.received(data, isBinary);
}
function onClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as AnywireSocket).connection!.ended(code, reason);
}
function onHandshakeTimeout(connection: Connection): void {
  connection.close('TIMEOUT', 'no connect frame in time');
}

/**
 * One WebSocket client: its handshake, then its Session. It is the session's Sink: frames written
 * in one task are batched into one WebSocket message.
 */
class Connection implements Sink, Upstream {
  /** Frames waiting for the microtask checkpoint; created on the first one. */
  private queue: string[] | undefined = undefined;
  /** Characters in `queue`'s messages, against `room`. */
  private queuedBytes = 0;
  /** maxBufferedBytes less what the socket held at the last write: what a replay or burst may still add. */
  private room: number;
  private refillPending = false;
  closed = false;
  private session: Session | undefined = undefined;
  /** Kept only until `authenticate` has it (its headers cost ~0.8 KB of heap per idle connection). */
  private request: IncomingMessage | undefined;
  /** While authenticating: frames a pipelining client sent before its welcome. */
  private early: Inbound[] | undefined = undefined;
  /** Bytes of the messages in `early`: bounded as well as their count. */
  private earlyBytes = 0;
  private authenticating = false;
  private handshake: ReturnType<typeof setTimeout> | undefined;
  /** Set when the server ended a silent socket (TIMEOUT): the disconnect reason. */
  private timedOut: string | undefined = undefined;

  constructor(
    private readonly ws: AnywireSocket,
    private readonly core: ServerCore,
    request: IncomingMessage,
    private readonly sockets: Set<AnywireSocket>,
  ) {
    this.request = request;
    this.room = core.options.maxBufferedBytes;
    this.handshake = setTimeout(onHandshakeTimeout, core.options.handshakeTimeout, this);
  }

  received(data: RawData, isBinary: boolean): void {
    if (this.authenticating && !this.session) {
      // Bounded before decoding: a client may not make us hold more than `maxEarlyBytes`.
      this.earlyBytes += size(data);
      if (this.earlyBytes > maxEarlyBytes(this.core)) return this.close('PROTOCOL_ERROR', 'too many bytes before the welcome');
    }
    const inbound = decode(data, isBinary);
    if (inbound.violation) return this.close('PROTOCOL_ERROR', inbound.violation);
    for (const e of inbound.errors) this.frame(e);
    if (this.session) {
      direct = inbound.frames.length === 1;
      try {
        this.session.receive(inbound.frames);
      } finally {
        direct = false;
      }
      return;
    }
    if (this.authenticating) {
      this.early ??= [];
      if (this.early.length >= 64) return this.close('PROTOCOL_ERROR', 'too many frames before the welcome');
      this.early.push(inbound);
      return;
    }
    // Decoding validated every frame against the protocol's schemas already: a `connect` here is one.
    const first = inbound.frames[0];
    if (first?.t !== 'connect' || inbound.frames.length !== 1) {
      return this.close('PROTOCOL_ERROR', `the first frame must be {"t":"connect","v":${PROTOCOL_VERSION}}`);
    }
    this.authenticating = true;
    const request = this.request!;
    this.request = undefined;
    this.core.authenticate(first.token, request).then(
      (identity) => this.welcome(identity, request),
      (err: AnywireError) => {
        this.stopHandshakeTimer();
        this.close(err.code ?? 'UNAUTHORIZED', err.message);
      },
    );
  }

  private welcome(identity: Identity, request: IncomingMessage): void {
    this.stopHandshakeTimer();
    const core = this.core;
    if (this.closed) return;
    if (core.closing) return this.close('SERVER_SHUTTING_DOWN', 'server is shutting down', core.options.shutdownRetryAfter);
    // An expiring identity keeps its request: a token refresh runs `authenticate` with it again.
    const exp = expiryOf(identity);
    const session = new Session(core, this, {
      id: randomUUID(),
      identity,
      transport: 'websocket',
      request: exp === undefined ? undefined : request,
    });
    if (!core.register(session, false)) return this.close('LIMIT_EXCEEDED', `the server holds ${core.options.maxSessions} sessions`);
    this.session = session;
    session.upstream = this;
    this.frame({
      t: 'welcome',
      v: PROTOCOL_VERSION,
      sid: session.id,
      hb: core.options.heartbeatInterval,
      max: core.options.maxPayload,
      ...expField(exp),
    });
    core.opened(session);
    core.announce(session);
    const early = this.early;
    this.early = undefined;
    if (early) for (const e of early) session.receive(e.frames);
  }

  ended(code: number, reason: Buffer): void {
    this.sockets.delete(this.ws);
    this.stopHandshakeTimer();
    this.closed = true;
    if (this.session) this.core.end(this.session, reason.length ? reason.toString() : (this.timedOut ?? `socket closed (${code})`));
  }

  /** Over the rate budget: stop reading the socket, so TCP slows the client down. */
  pause(): void {
    if (!this.closed) this.ws.pause();
  }

  resume(): void {
    if (!this.closed) this.ws.resume();
  }

  private stopHandshakeTimer(): void {
    if (this.handshake === undefined) return;
    clearTimeout(this.handshake);
    this.handshake = undefined; // a cleared timer still holds ~120 bytes while referenced
  }

  frame(frame: object): void {
    this.push(JSON.stringify(frame));
  }

  message(m: Outgoing, sub?: ChannelSub): void {
    const size = m.binary ? m.bytes.length : m.text.length;
    if (
      sub !== undefined &&
      this.queuedBytes + size > this.room &&
      (this.queuedBytes > 0 || this.room < this.core.options.maxBufferedBytes)
    ) {
      // No room within maxBufferedBytes: this channel stops after the last message taken and
      // continues from history once the socket drained (a replay or a burst goes in pages).
      sub.stale = true;
      sub.last = m.offset - 1;
      return this.refillLater();
    }
    if (m.binary) {
      this.flush();
      this.write(m.bytes);
    } else {
      this.push(m.text);
    }
  }

  /** Once the socket has room again, the session's stale subscriptions continue from history. */
  private refillLater(): void {
    if (this.refillPending || this.closed) return;
    this.refillPending = true;
    const refill = () => {
      this.refillPending = false;
      this.room = this.core.options.maxBufferedBytes - this.ws.bufferedAmount;
      if (!this.closed) this.session?.refillStale();
    };
    // After this tick's batch went out: wait for the socket's drain when it holds data, else go on.
    setImmediate(() => {
      const raw = (this.ws as unknown as { _socket?: { once(e: string, f: () => void): void } })._socket;
      if (this.ws.bufferedAmount > 0 && raw) raw.once('drain', refill);
      else refill();
    });
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
    // A peer silent for two heartbeats will not answer a close handshake either: free the socket
    // now (ws would wait 30 s), so the session ends now (presence starts its grace from here).
    // A TIMEOUT for maxConnectionAge goes to a live peer: it gets the close handshake.
    if (code === 'TIMEOUT' && message.startsWith('no heartbeat')) {
      this.timedOut = reason;
      return this.ws.terminate();
    }
    this.ws.close(code === 'SERVER_SHUTTING_DOWN' ? 1012 : code === 'PROTOCOL_ERROR' ? 1002 : 1008, reason);
  }

  private push(text: string): void {
    if (this.closed) return;
    if (direct && this.queue === undefined) return this.write(text);
    if (this.queue === undefined) this.queue = [];
    this.queue.push(text);
    this.queuedBytes += text.length;
    dirty.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flushAll);
    }
  }

  flush(): void {
    const q = this.queue;
    if (q === undefined || this.closed) return;
    this.queue = undefined;
    this.queuedBytes = 0;
    this.write(q.length === 1 ? q[0]! : '[' + q.join(',') + ']');
  }

  private write(data: string | Buffer): void {
    if (this.closed || this.ws.readyState !== 1) return;
    const max = this.core.options.maxBufferedBytes;
    if (this.ws.bufferedAmount > max) {
      // A slow reader is cut off rather than growing our memory; it resumes from history.
      this.close('SLOW_CONSUMER', `more than ${max} bytes waiting`);
      return;
    }
    this.ws.send(data);
    this.room = max - this.ws.bufferedAmount;
  }
}

export class WebSocketHandler {
  private readonly wss: WebSocketServer;
  /** Every open socket, handshaken or not (shutdown closes them all). */
  private readonly sockets = new Set<AnywireSocket>();

  constructor(private readonly core: ServerCore) {
    const max = core.options.maxPayload;
    this.wss = new WebSocketServer({
      noServer: true,
      // Room for base64 and the frame around the largest allowed payload; beyond this ws closes
      // the socket with 1009, a protocol violation rather than a publish to refuse politely.
      maxPayload: Math.ceil(max * 1.4) + 64 * 1024,
      perMessageDeflate: false,
      // Tracked here: ws's own tracking adds a closure and a second 'close' listener per socket.
      clientTracking: false,
      WebSocket: AnywireSocket,
    });
  }

  get connections(): number {
    return this.sockets.size;
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.onSocket(ws as AnywireSocket, request));
  }

  private onSocket(ws: AnywireSocket, request: IncomingMessage): void {
    ws.connection = new Connection(ws, this.core, request, this.sockets);
    this.sockets.add(ws);
    ws.on('error', noop);
    ws.on('message', onMessage);
    ws.on('close', onClose);
  }

  /** Tells every client to reconnect (elsewhere) and closes their sockets. */
  async shutdown(retryAfter: number): Promise<void> {
    for (const s of [...this.core.live]) {
      if (s.transport === 'websocket') s.sink.close('SERVER_SHUTTING_DOWN', 'server is shutting down', retryAfter);
    }
    const pending = [...this.sockets].map(
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
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** Bytes a client may send between its connect frame and the welcome: about one largest message, at least 1 MiB. */
function maxEarlyBytes(core: ServerCore): number {
  return Math.max(1 << 20, Math.ceil(core.options.maxPayload * 1.4) + 64 * 1024);
}

function size(data: RawData): number {
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : Buffer.isBuffer(data) ? data.length : data.byteLength;
}

function decode(data: RawData, isBinary: boolean): Inbound {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  return isBinary ? decodeClientBinary(buf) : decodeClientText(buf.toString('utf8'));
}
