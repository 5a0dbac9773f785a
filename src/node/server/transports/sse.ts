// The SSE endpoint: `POST /sse` answers with a stream of events, each one a JSON batch of frames.
// A stream without a session id performs the handshake (its first event is the welcome); a stream
// with one resumes from the cursor in its body. A stream is a live connection: it is registered
// with the core, which heartbeats it (a comment the client counts as a sign of life), ends it after
// two intervals without a word from the client (TIMEOUT) and on shutdown. The client cannot answer
// on the stream: its POSTs to /send are its word, wherever they land (sse-liveness.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerCore } from '../core.js';
import { sendJson } from '../http-util.js';
import type { Outgoing, Sink } from '../outgoing.js';
import type { Session } from '../session.js';
import type { SessionClaims } from '../session-token.js';
import { sseBody } from './envelopes.js';
import { sendHandshakeError, type HttpSessions } from './http-session.js';
import { SseLiveness } from './sse-liveness.js';

type Cors = Record<string, string>;

/**
 * ms a session's stream may stay gone before `disconnect` is announced: a client reopens its
 * stream whenever its subscriptions change, and that is not a disconnection.
 */
const reopenGrace = 2000;

class SseSink implements Sink {
  session: Session | undefined;
  /** When the session id expires (ms since the epoch): the stream ends then, like any request would. */
  expires = Infinity;
  closed = false;
  /** Set when the server ended the stream (shutdown, slow consumer): the client starts a new session. */
  endedWith: string | undefined;
  /** Events written so far; the event id is this counter (see docs/transports.md). */
  private seq = 0;
  private parts: string[] = [];
  private scheduled = false;

  /**
   * `selfCredit`: a heartbeat that could be written counts as the client's sign of life (only
   * when the broker cannot carry credits between servers; see SseLiveness.enforced).
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly maxBuffered: number,
    private readonly selfCredit: boolean,
  ) {}

  get written(): number {
    return this.seq;
  }

  frame(frame: object): void {
    this.push(JSON.stringify(frame));
  }

  message(m: Outgoing): void {
    this.push(m.text);
  }

  /** A comment: keeps proxies from timing the stream out, the client's watchdog fed, and asks for a ping. */
  heartbeat(): void {
    if (this.closed) return;
    if (Date.now() >= this.expires) return this.close('SESSION_INVALID', 'the session expired: connect again');
    this.res.write(':\n\n');
    if (this.selfCredit && this.session && this.res.writableLength <= this.maxBuffered) this.session.lastSeen = Date.now();
  }

  close(code: string, message: string, retryAfter?: number): void {
    if (this.closed) return;
    const frame: Record<string, unknown> = { t: 'err', code, msg: message };
    if (retryAfter !== undefined) frame.retry = retryAfter;
    this.parts.push(JSON.stringify(frame));
    const last = this.event();
    this.closed = true;
    this.endedWith = code;
    this.res.end(last);
    // A silent client may not be reading at all: free the socket now, not when its buffer drains.
    if (code === 'TIMEOUT') this.res.destroy();
  }

  /** Ends the stream without a word (a newer stream of the same session replaced it). */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
  }

  /** Writes what is queued now; with `always`, an empty batch if nothing is (the first event). */
  flush(always = false): void {
    this.scheduled = false;
    if (this.closed || (this.parts.length === 0 && !always)) return;
    if (this.res.writableLength > this.maxBuffered) {
      // A reader that does not keep up is cut off rather than growing our memory; it resumes from history.
      return this.close('SLOW_CONSUMER', `more than ${this.maxBuffered} bytes waiting`);
    }
    this.res.write(this.event());
  }

  private event(): string {
    if (this.parts.length === 0) return '';
    const data = '[' + this.parts.join(',') + ']';
    this.parts = [];
    return `id: ${++this.seq}\ndata: ${data}\n\n`;
  }

  private push(text: string): void {
    if (this.closed) return;
    this.parts.push(text);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }
}

interface Stream {
  session: Session;
  sink: SseSink;
}

export class SseHandler {
  /** The current stream of each session on this node. */
  private readonly streams = new Map<string, Stream>();
  /** Sessions whose stream ended, waiting `reopenGrace` for a reopen before `disconnect`. */
  private readonly lingering = new Map<string, { timer: ReturnType<typeof setTimeout>; announce: () => void }>();
  private readonly liveness: SseLiveness;

  constructor(
    private readonly core: ServerCore,
    private readonly sessions: HttpSessions,
  ) {
    this.liveness = new SseLiveness(core.broker, core.options.heartbeatInterval, (id) => this.credit(id));
  }

  /** A POST of session `id` reached this server: its stream, here or on another server, is alive. */
  heard(id: string): void {
    this.liveness.heard(id);
  }

  private credit(id: string): boolean {
    const stream = this.streams.get(id);
    if (stream) stream.session.lastSeen = Date.now();
    return stream !== undefined;
  }

  async open(req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors): Promise<void> {
    const body = sseBody.safeParse(raw);
    if (!body.success) {
      return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"connect":{…}} or {"sid":…,"subs":[…]}' }, cors);
    }
    let claims: SessionClaims | undefined;
    let welcome: object | undefined;
    if ('connect' in body.data) {
      try {
        ({ claims, welcome } = await this.sessions.handshake(req, body.data.connect.token, true));
      } catch (err) {
        return sendHandshakeError(res, err, cors);
      }
    } else {
      claims = this.sessions.verify(body.data.sid, res, cors);
      if (!claims) return;
    }
    if (res.destroyed) return;
    const o = this.core.options;
    if (this.core.closing) {
      return sendJson(res, 503, { code: 'SERVER_SHUTTING_DOWN', message: 'server is shutting down' }, { ...cors, 'Retry-After': '1' });
    }
    res.writeHead(200, {
      ...cors,
      'Content-Type': 'text/event-stream; charset=utf-8',
      // no-transform: no compressing proxy may hold events back; X-Accel-Buffering: nginx streams.
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true, o.heartbeatInterval);
    this.liveness.listen();
    const sink = new SseSink(res, o.maxBufferedBytes, !this.liveness.enforced);
    const session = this.sessions.session(claims, sink, 'sse');
    sink.session = session;
    sink.expires = claims.exp;
    const stream: Stream = { session, sink };
    this.attach(claims.id, stream);
    res.once('close', () => this.detach(claims.id, stream));
    res.on('error', () => {});
    if (welcome) {
      sink.frame(welcome);
      sink.flush();
    }
    if (!('connect' in body.data) || body.data.subs) await this.sessions.subscribeAll(session, body.data.subs ?? []);
    // The first event goes out at once, even empty: the client then knows the stream is live.
    if (sink.written === 0) sink.flush(true);
  }

  /** Registers a stream; a reopen of the same session continues its connection (no new event). */
  private attach(id: string, stream: Stream): void {
    let announce = true;
    const previous = this.streams.get(id);
    if (previous) {
      this.streams.delete(id);
      previous.sink.drop();
      this.core.closed(previous.session, 'stream replaced', false);
      announce = false;
    }
    const waiting = this.lingering.get(id);
    if (waiting) {
      clearTimeout(waiting.timer);
      this.lingering.delete(id);
      announce = false;
    }
    this.streams.set(id, stream);
    this.core.opened(stream.session, announce);
  }

  private detach(id: string, stream: Stream): void {
    stream.sink.closed = true;
    if (this.streams.get(id) !== stream) return; // replaced: the newer stream carries on
    this.streams.delete(id);
    this.core.closed(stream.session, 'stream closed', false);
    const reason = stream.sink.endedWith ?? 'stream closed by the client';
    const announce = () => {
      this.lingering.delete(id);
      this.core.emit('disconnect', { id, reason });
    };
    // Ended by the server: the client will not reopen this session.
    if (stream.sink.endedWith) return announce();
    const timer = setTimeout(announce, reopenGrace);
    timer.unref();
    this.lingering.set(id, { timer, announce });
  }

  /** Ends every stream with SERVER_SHUTTING_DOWN; announces pending disconnects now. */
  shutdown(retryAfter: number): void {
    this.liveness.close();
    for (const s of [...this.streams.values()]) s.sink.close('SERVER_SHUTTING_DOWN', 'server is shutting down', retryAfter);
    for (const l of [...this.lingering.values()]) {
      clearTimeout(l.timer);
      l.announce();
    }
  }
}
