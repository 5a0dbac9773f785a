// What the HTTP transports share on the server. There is no session object between requests: a
// request carries a signed session id and the client's cursor; the handler builds a Session for
// that one request, subscribes it from the cursor (history replay, then live), answers with what
// it collected, and destroys it. Authorisation answers are cached per session id across requests.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransportName } from '../../../adapters/types.js';
import { AnywireError } from '../../../core/errors.js';
import { PROTOCOL_VERSION } from '../../../core/frames.js';
import { AuthCache } from '../auth-cache.js';
import type { ServerCore } from '../core.js';
import { sendJson } from '../http-util.js';
import type { Outgoing, Sink } from '../outgoing.js';
import { Session } from '../session.js';
import { SessionTokens, type SessionClaims } from '../session-token.js';
import { expField, expiryOf } from '../token-expiry.js';
import type { CursorEntry } from './envelopes.js';

export type HttpTransportName = Exclude<TransportName, 'websocket'>;

export class HttpSessions {
  readonly tokens: SessionTokens;
  readonly auth: AuthCache;

  constructor(readonly core: ServerCore) {
    this.tokens = new SessionTokens(core.options.secret, core.options.sessionTtl);
    this.auth = new AuthCache(core, core.options.authCacheTtl);
  }

  /**
   * Authenticates a handshake and opens a session (an SSE stream's when `stream`): its claims and
   * the welcome frame. Rejects with an AnywireError.
   */
  async handshake(req: IncomingMessage, bodyToken: string | undefined, stream = false): Promise<{ claims: SessionClaims; welcome: object }> {
    const identity = await this.core.authenticate(bearer(req) ?? bodyToken, req);
    let issued;
    try {
      issued = this.tokens.issue(identity, stream, expiryOf(identity));
    } catch (err) {
      this.core.emit('error', err as Error);
      throw new AnywireError('UNAUTHORIZED', 'the identity cannot be carried in a session id');
    }
    const o = this.core.options;
    return {
      claims: issued.claims,
      welcome: { t: 'welcome', v: PROTOCOL_VERSION, sid: issued.sid, hb: o.heartbeatInterval, max: o.maxPayload, ...expField(issued.claims.tokenExp) },
    };
  }

  /** The claims of a valid session id, or undefined after answering 401 SESSION_INVALID. */
  verify(sid: string, res: ServerResponse, cors: Record<string, string>): SessionClaims | undefined {
    const claims = this.tokens.verify(sid);
    if (claims) return claims;
    if (this.tokens.tokenExpired(sid)) {
      this.core.metrics.refuse('TOKEN_EXPIRED');
      sendJson(res, 401, { code: 'TOKEN_EXPIRED', message: 'the token of this session expired: connect again with a fresh one' }, cors);
      return undefined;
    }
    this.core.metrics.refuse('SESSION_INVALID');
    sendJson(res, 401, { code: 'SESSION_INVALID', message: 'unknown, expired or forged session id: connect again' }, cors);
    return undefined;
  }

  /** A Session for one request (or one SSE stream), sharing the session id's authorisation cache. */
  session(claims: SessionClaims, sink: Sink, transport: HttpTransportName): Session {
    return new Session(this.core, sink, {
      id: claims.id,
      identity: claims.identity,
      transport,
      authorize: (channel, action, identity) => this.auth.authorize(claims.id, identity, channel, action),
    });
  }

  /**
   * Subscribes `session` to every cursor entry and resolves when each has answered: replayed
   * history (and a `subd` for new entries, or for confirmed ones with a gap) is in the sink.
   */
  subscribeAll(session: Session, subs: readonly CursorEntry[]): Promise<unknown> {
    return Promise.all(
      subs.map(({ q, ...e }) => session.subscribe({ t: 'sub', ...e }, q === true)),
    );
  }
}

/**
 * Collects what a request's Session writes. Bounded: past `budget` characters it stops taking
 * frames and reports itself full, the response goes out with what it has, and the client's next
 * request resumes from its offsets (nothing is lost, nothing grows without limit).
 */
export class CollectSink implements Sink {
  private parts: string[] = [];
  private size = 0;
  full = false;
  /** Set by close(): the session is over (shutdown); the response should go now. */
  ended = false;
  /** Called after each write, so a held long poll can answer. */
  onWrite: (() => void) | undefined;

  constructor(private readonly budget: number) {}

  get count(): number {
    return this.parts.length;
  }

  frame(frame: object): void {
    this.push(JSON.stringify(frame));
  }

  message(m: Outgoing): void {
    this.push(m.text);
  }

  heartbeat(): void {}

  close(code: string, message: string, retryAfter?: number): void {
    if (this.ended) return;
    const frame: Record<string, unknown> = { t: 'err', code, msg: message };
    if (retryAfter !== undefined) frame.retry = retryAfter;
    this.parts.push(JSON.stringify(frame));
    this.ended = true;
    this.onWrite?.();
  }

  /** The collected frames as one JSON batch. */
  body(): string {
    return '[' + this.parts.join(',') + ']';
  }

  private push(text: string): void {
    if (this.full || this.ended) return;
    this.parts.push(text);
    this.size += text.length;
    if (this.size > this.budget) this.full = true;
    this.onWrite?.();
  }
}

/** Answers 200 with a JSON batch of frames. */
export function sendFrames(res: ServerResponse, body: string, cors: Record<string, string>): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(200, {
    ...cors,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

/** The token of an `Authorization: Bearer …` header. */
export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h);
  return m ? m[1] : undefined;
}

/** A refused handshake: 401 for authentication, 400 for the rest. */
export function sendHandshakeError(res: ServerResponse, err: unknown, cors: Record<string, string>): void {
  const e = err as AnywireError;
  const code = e?.code ?? 'UNAUTHORIZED';
  sendJson(res, code === 'UNAUTHORIZED' ? 401 : 400, { code, message: e?.message ?? 'authentication failed' }, cors);
}
