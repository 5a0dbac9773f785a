// The SSE endpoint: `POST /sse` answers with a stream of events, each one a JSON batch of frames.
// A stream without a session id performs the handshake (its first event is the welcome); a stream
// with one attaches to its session (found or rebuilt) after reconciling it with the cursor in its
// body. A stream is a live connection: it is registered with the core, which heartbeats it (a
// comment the client counts as a sign of life), ends it after two intervals without a word from the
// client (TIMEOUT) and on shutdown. The client cannot answer on the stream: its POSTs to /send are
// its word, wherever they land (sse-liveness.ts). Subscription changes come by /send too.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerCore } from '../core.js';
import { sendJson } from '../http-util.js';
import type { Session } from '../session.js';
import type { HttpDownstream } from './downstream.js';
import { sseBody } from './envelopes.js';
import { sendHandshakeError, type HttpSessions } from './http-session.js';

type Cors = Record<string, string>;

/** ms a session's stream may stay gone before the session ends (a client may reopen it with its cursor). */
const reopenGrace = 2000;

export class SseHandler {
  /** Sessions whose stream ended, waiting `reopenGrace` for a reopen before they end. */
  private readonly lingering = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly core: ServerCore,
    private readonly sessions: HttpSessions,
  ) {}

  async open(req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors): Promise<void> {
    const body = sseBody.safeParse(raw);
    if (!body.success) {
      return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"connect":{…}} or {"sid":…,"subs":[…]}' }, cors);
    }
    let session: Session | undefined;
    let welcome: object | undefined;
    if ('connect' in body.data) {
      try {
        ({ session, welcome } = await this.sessions.handshake(req, body.data.connect.token, 'sse'));
      } catch (err) {
        return sendHandshakeError(res, err, cors);
      }
    } else {
      const claims = this.sessions.verify(body.data.sid, res, cors);
      if (!claims) return;
      session = this.sessions.find(claims, 'sse', res, cors);
      if (!session) return;
    }
    if (res.destroyed) {
      if (welcome) this.sessions.end(session, 'stream closed by the client');
      return;
    }
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
    res.on('error', () => {});
    const down = session.sink as HttpDownstream;
    const waiting = this.lingering.get(session.id);
    if (waiting) {
      clearTimeout(waiting);
      this.lingering.delete(session.id);
    }
    if (welcome) down.frame(welcome);
    if (body.data.subs) await session.reconcile(body.data.subs);
    if (res.destroyed || session.destroyed) return;
    // The first event goes out at once (what waits, or an empty batch): the client then knows the stream is live.
    down.attachStream(res);
    this.core.opened(session);
    const s = session;
    res.once('close', () => this.detach(s, res));
  }

  private detach(session: Session, res: ServerResponse): void {
    const down = session.sink as HttpDownstream;
    const current = down.isStream(res);
    down.detachStream(res);
    if (session.destroyed) return;
    // Ended by the server (shutdown, timeout, slow consumer): the client will not reopen this session.
    if (down.endedWith) return this.sessions.end(session, down.endedWith);
    if (!current) return; // replaced: the newer stream carries on
    this.core.closed(session);
    session.lastSeen = Date.now();
    const timer = setTimeout(() => {
      this.lingering.delete(session.id);
      if (!down.attached && !session.destroyed) this.sessions.end(session, 'stream closed by the client');
    }, reopenGrace);
    timer.unref();
    this.lingering.set(session.id, timer);
  }

  /** Ends every stream with SERVER_SHUTTING_DOWN; pending ends happen now. */
  shutdown(): void {
    this.sessions.liveness.close();
    for (const [id, timer] of this.lingering) {
      clearTimeout(timer);
      const s = this.core.sessions.get(id);
      if (s) this.sessions.end(s, 'stream closed by the client');
    }
    this.lingering.clear();
  }
}
