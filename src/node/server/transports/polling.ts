// The request/response HTTP endpoints: the handshake of long polling and polling, the polls
// themselves, upstream frames by POST, and a client's goodbye. No per-client state survives a
// request (see http-session.ts); the only node-local memory is the set of long polls being held.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientFrame } from '../../../core/frames.js';
import type { ServerCore } from '../core.js';
import { sendJson } from '../http-util.js';
import { decodeClientValue } from '../inbound.js';
import type { Session } from '../session.js';
import { closeBody, connectBody, pollBody, sendBody } from './envelopes.js';
import { refreshHttp } from '../token-expiry.js';
import { CollectSink, sendFrames, sendHandshakeError, type HttpSessions } from './http-session.js';

type Cors = Record<string, string>;

/** ms a POST of upstream frames waits for their acks before answering with what it has. */
const sendTimeout = 10_000;

interface Held {
  finish(): void;
  sink: CollectSink;
}

export class PollingHandler {
  /** Long polls being held, by session id: at most one per session (a newer one answers the older). */
  private readonly held = new Map<string, Held>();

  /** `heard` is told the session id of every valid POST /send of an SSE stream's session (its sign of life). */
  constructor(
    private readonly core: ServerCore,
    private readonly sessions: HttpSessions,
    private readonly heard: (sessionId: string) => void,
  ) {}

  /** `POST /connect` → `[welcome]`, or 401 with the reason. */
  async connect(req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors): Promise<void> {
    const body = connectBody.safeParse(raw);
    if (!body.success) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"t":"connect","v":2,"transport":…}' }, cors);
    const transport = body.data.transport;
    if (!this.core.options.transports.includes(transport)) {
      return sendJson(res, 404, { code: 'BAD_REQUEST', message: `transport ${transport} is disabled` }, cors);
    }
    let opened;
    try {
      opened = await this.sessions.handshake(req, body.data.token);
    } catch (err) {
      return sendHandshakeError(res, err, cors);
    }
    const { claims, welcome } = opened;
    sendFrames(res, JSON.stringify([welcome]), cors);
    this.core.metrics.heard(claims.id, transport);
    this.core.emit('connection', { id: claims.id, identity: claims.identity, transport });
  }

  /** `POST /poll` (answered at once) and `POST /long-poll` (held until a frame or the timeout). */
  async poll(req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors, hold: boolean): Promise<void> {
    const body = pollBody.safeParse(raw);
    if (!body.success) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"sid":…,"subs":[…]}' }, cors);
    const claims = this.sessions.verify(body.data.sid, res, cors);
    if (!claims) return;
    const o = this.core.options;
    this.core.metrics.heard(claims.id, hold ? 'long-polling' : 'polling');
    const sink = new CollectSink(o.maxBufferedBytes);
    const session = this.sessions.session(claims, sink, hold ? 'long-polling' : 'polling');
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const held: Held = {
      sink,
      finish: () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.held.get(claims.id) === held) this.held.delete(claims.id);
        session.destroy();
        sendFrames(res, sink.body(), cors);
      },
    };
    res.once('close', () => {
      // The client went away (or the answer went out): free the hub membership either way.
      done = true;
      clearTimeout(timer);
      if (this.held.get(claims.id) === held) this.held.delete(claims.id);
      session.destroy();
    });
    await this.sessions.subscribeAll(session, body.data.subs);
    if (done) return;
    if (!hold || sink.count > 0 || sink.full || sink.ended || this.core.closing) return held.finish();
    // Hold: answer with the first frames to arrive (and whatever else lands in the same tick).
    this.held.get(claims.id)?.finish();
    this.held.set(claims.id, held);
    let scheduled = false;
    sink.onWrite = () => {
      if (sink.full || sink.ended) return held.finish();
      if (scheduled) return;
      scheduled = true;
      setImmediate(held.finish);
    };
    // Never past the heartbeat interval: an empty answer is what tells the client the link lives.
    // Nor past the token's expiry: the next poll then finds the id expired (or a refreshed one).
    timer = setTimeout(held.finish, Math.min(o.longPollTimeout, o.heartbeatInterval, (claims.tokenExp ?? Infinity) - Date.now()));
  }

  /** `POST /send`: upstream frames; answers with their acks, errors and pongs. */
  async send(req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors): Promise<void> {
    const body = sendBody.safeParse(raw);
    if (!body.success) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"sid":…,"frames":[…]}' }, cors);
    const claims = this.sessions.verify(body.data.sid, res, cors);
    if (!claims) return;
    const inbound = decodeClientValue(body.data.frames);
    if (inbound.violation) return sendJson(res, 400, { code: 'BAD_REQUEST', message: inbound.violation }, cors);
    if (claims.stream) this.heard(claims.id);
    const replies: object[] = [...inbound.errors];
    const frames: ClientFrame[] = [];
    let waiting = 0;
    let token: string | undefined;
    for (const f of inbound.frames) {
      if (f.t === 'auth') {
        token = f.token; // a token refresh: answered last, with the session id to use from now on
      } else if (f.t === 'pub' || f.t === 'hist' || f.t === 'pres') {
        // Each gets exactly one answer frame (ack, histd, presd or err).
        frames.push(f);
        waiting++;
      } else if (f.t === 'ping') {
        replies.push({ t: 'pong' });
      } else if (f.t === 'sub') {
        replies.push({ t: 'err', code: 'BAD_REQUEST', msg: 'subscriptions travel in the cursor of a poll or stream, not by /send', id: f.id });
      } else if (f.t !== 'pong') {
        return sendJson(res, 400, { code: 'BAD_REQUEST', message: `a "${f.t}" frame cannot be sent by /send` }, cors);
      }
    }
    const sink = new CollectSink(Infinity);
    for (const r of replies) sink.frame(r);
    const transport = claims.stream ? 'sse' : this.core.metrics.transportOf(claims.id) === 'long-polling' ? 'long-polling' : 'polling';
    const session: Session = this.sessions.session(claims, sink, transport);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Each pub gets one answer (ack, or err when refused or rate limited); none may be missing for long.
    const answered =
      waiting === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            sink.onWrite = () => {
              if (--waiting <= 0) resolve();
            };
            timer = setTimeout(resolve, sendTimeout);
            res.once('close', () => resolve());
          });
    session.receive(frames);
    await answered;
    clearTimeout(timer);
    session.destroy();
    if (token !== undefined) sink.frame(await refreshHttp(this.core, this.sessions.tokens, this.sessions.auth, req, claims, token));
    sendFrames(res, sink.body(), cors);
  }

  /** `POST /close`: the client left on purpose; announces the disconnect. */
  async close(_req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors): Promise<void> {
    const body = closeBody.safeParse(raw);
    if (!body.success) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"sid":…}' }, cors);
    const claims = this.sessions.verify(body.data.sid, res, cors);
    if (!claims) return;
    this.held.get(claims.id)?.finish();
    this.core.metrics.forget(claims.id);
    res.writeHead(204, cors).end();
    this.core.emit('disconnect', { id: claims.id, reason: 'closed by client' });
  }

  /** Answers every held long poll with SERVER_SHUTTING_DOWN. */
  shutdown(retryAfter: number): void {
    for (const h of [...this.held.values()]) {
      h.sink.close('SERVER_SHUTTING_DOWN', 'server is shutting down', retryAfter);
      h.finish();
    }
  }
}
