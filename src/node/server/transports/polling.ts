// The request/response HTTP endpoints: the handshake of long polling and polling, the polls, the
// upstream frames by POST, and a client's goodbye. Each request finds its session in the registry
// (or rebuilds it: http-session.ts) and works on it; the session outlives the request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientFrame } from '../../../core/frames.js';
import type { ServerCore } from '../core.js';
import { sendJson } from '../http-util.js';
import { decodeClientValue } from '../inbound.js';
import { closeBody, connectBody, pollBody, sendBody } from './envelopes.js';
import type { HttpDownstream } from './downstream.js';
import { Replies, sendFrames, sendHandshakeError, type HttpSessions } from './http-session.js';
import { refreshHttp } from '../token-expiry.js';

type Cors = Record<string, string>;

export class PollingHandler {
  constructor(
    private readonly core: ServerCore,
    private readonly sessions: HttpSessions,
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
      opened = await this.sessions.handshake(req, body.data.token, transport);
    } catch (err) {
      return sendHandshakeError(res, err, cors);
    }
    sendFrames(res, JSON.stringify([opened.welcome]), cors);
  }

  /** `POST /poll` (answered at once) and `POST /long-poll` (held until a frame or the timeout). */
  async poll(req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors, hold: boolean): Promise<void> {
    const body = pollBody.safeParse(raw);
    if (!body.success) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"sid":…,"subs":[…]}' }, cors);
    const claims = this.sessions.verify(body.data.sid, res, cors);
    if (!claims) return;
    const session = this.sessions.find(claims, hold ? 'long-polling' : 'polling', res, cors);
    if (!session) return;
    const down = session.sink as HttpDownstream;
    await session.reconcile(body.data.subs);
    if (res.destroyed || res.writableEnded) return;
    const o = this.core.options;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answer = (text: string) => {
      clearTimeout(timer);
      session.lastSeen = Date.now(); // the end of a request counts: expiry runs from here
      sendFrames(res, text, cors);
    };
    res.once('close', () => {
      clearTimeout(timer);
      down.detachPoll(answer, false);
    });
    down.attachPoll(answer, !hold || this.core.closing);
    // Never past the heartbeat interval: an empty answer is what tells the client the link lives.
    // Nor past the token's expiry: the next poll then finds the id expired (or a refreshed one).
    const wait = Math.min(o.longPollTimeout, o.heartbeatInterval, (claims.tokenExp ?? Infinity) - Date.now());
    if (hold && !res.writableEnded) timer = setTimeout(() => down.detachPoll(answer, true), wait);
  }

  /** `POST /send`: upstream frames; answers with their acks, errors and pongs (held while over the rate budget). */
  async send(req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors): Promise<void> {
    const body = sendBody.safeParse(raw);
    if (!body.success) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"sid":…,"frames":[…]}' }, cors);
    const claims = this.sessions.verify(body.data.sid, res, cors);
    if (!claims) return;
    const inbound = decodeClientValue(body.data.frames);
    if (inbound.violation) return sendJson(res, 400, { code: 'BAD_REQUEST', message: inbound.violation }, cors);
    let waiting = 0;
    const changes: ClientFrame[] = [];
    let token: string | undefined;
    for (const f of inbound.frames) {
      if (f.t === 'pub' || f.t === 'ping' || f.t === 'hist' || f.t === 'pres')
        waiting++; // one answer each
      else if (f.t === 'sub' || f.t === 'unsub') changes.push(f);
      else if (f.t === 'auth')
        token = f.token; // a token refresh: answered last, with the session id to use from now on
      else if (f.t === 'connect')
        return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'a "connect" frame cannot be sent by /send' }, cors);
    }
    const session = this.sessions.find(claims, undefined, res, cors);
    if (!session) return;
    const replies = new Replies();
    for (const e of inbound.errors) replies.frame(e);
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Each pub and ping gets one answer (ack, err or pong); none may be missing for long. A POST
    // over the rate budget waits here while its frames wait in the session's backlog.
    const answered =
      waiting === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            replies.onWrite = () => {
              if (--waiting <= 0) resolve();
            };
            timer = setTimeout(resolve, this.core.options.heartbeatInterval);
            res.once('close', () => resolve());
          });
    session.replies = replies;
    session.receive(token === undefined ? inbound.frames : inbound.frames.filter((f) => f.t !== 'auth'));
    // The answers to sub/unsub travel down the session's poll or stream; if that is held by
    // another node, that node applies them too (a lost signal only delays: the next poll's cursor).
    if (changes.length && !(session.sink as HttpDownstream).attached) this.sessions.forward(claims.id, changes);
    await answered;
    clearTimeout(timer);
    if (session.replies === replies) session.replies = undefined;
    if (token !== undefined) {
      const authd = await refreshHttp(this.core, this.sessions.tokens, this.sessions.auth, req, claims, token);
      // The session itself takes the new identity (a live SSE stream's was renewed already).
      const renewed = authd.sid === undefined ? undefined : this.sessions.tokens.verify(authd.sid);
      if (renewed && !this.core.live.has(session)) session.renew(renewed.identity);
      replies.frame(authd);
    }
    sendFrames(res, replies.body(), cors);
  }

  /** `POST /close`: the client left on purpose; frees its session and announces the disconnect. */
  async close(_req: IncomingMessage, res: ServerResponse, raw: unknown, cors: Cors): Promise<void> {
    const body = closeBody.safeParse(raw);
    if (!body.success) return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'expected {"sid":…}' }, cors);
    const claims = this.sessions.verify(body.data.sid, res, cors);
    if (!claims) return;
    const session = this.core.sessions.get(claims.id);
    if (!session || !(session.sink as HttpDownstream).attached) this.sessions.forwardClose(claims.id);
    if (session) this.sessions.end(session, 'closed by client');
    this.core.metrics.forget(claims.id);
    res.writeHead(204, cors).end();
  }
}
