// What the HTTP transports share on the server: the handshake that creates a session, the lookup
// that finds it on every request (or rebuilds it from the signed id on a miss: another node, a
// restart), and the broker signals that let the node holding a session's poll or stream hear what
// landed elsewhere: the client's sign of life and its subscription changes (docs/protocol.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransportName } from '../../../adapters/types.js';
import { AnywireError } from '../../../core/errors.js';
import { PROTOCOL_VERSION, type ClientFrame } from '../../../core/frames.js';
import type { ServerCore } from '../core.js';
import { sendJson } from '../http-util.js';
import type { Outgoing, Sink } from '../outgoing.js';
import { Session } from '../session.js';
import { SessionTokens, type SessionClaims } from '../session-token.js';
import { HttpDownstream } from './downstream.js';
import { SseLiveness } from './sse-liveness.js';
import { expField, expiryOf } from '../token-expiry.js';
import { AuthCache } from '../auth-cache.js';

export type HttpTransportName = Exclude<TransportName, 'websocket'>;

/** Broker signal topic of subscription changes (and goodbyes) that landed on another node. */
const changes = 'session';

export class HttpSessions {
  readonly tokens: SessionTokens;
  readonly liveness: SseLiveness;
  private listening = false;
  /** Kept for token refresh (token-expiry.ts forgets a session's answers here); sessions cache their own. */
  readonly auth: AuthCache;

  constructor(readonly core: ServerCore) {
    this.tokens = new SessionTokens(core.options.secret, core.options.sessionTtl);
    this.auth = new AuthCache(core, core.options.authCacheTtl);
    this.liveness = new SseLiveness(core.broker, core.options.heartbeatInterval, (id) => this.credit(id));
    // Listening from the start: a signal sent before this node listens is lost (signals are never stored).
    if (core.options.transports.some((t) => t !== 'websocket')) this.listen();
  }

  /** Starts listening to the other nodes' signals (once; again after a failure). */
  listen(): void {
    this.liveness.listen();
    const broker = this.core.broker;
    if (this.listening || !broker.onSignal) return;
    this.listening = true;
    this.signalsReady = broker
      .onSignal(changes, (data) => {
        let m: { i?: unknown; f?: unknown; c?: unknown };
        try {
          m = JSON.parse(data);
        } catch {
          return;
        }
        const session = typeof m.i === 'string' ? this.core.sessions.get(m.i) : undefined;
        if (!session || session.sink.attached !== true) return;
        if (m.c === 1) return this.end(session, 'closed by client');
        if (Array.isArray(m.f)) session.receive(m.f.filter((f: ClientFrame) => f?.t === 'sub' || f?.t === 'unsub') as ClientFrame[]);
      })
      .catch(() => {
        this.listening = false;
      });
  }

  /** Resolves once this node hears subscription changes sent from other nodes (or listening failed). */
  private signalsReady: Promise<void> | undefined;

  /**
   * Authenticates a handshake and creates its session (registered and announced): the session and
   * the welcome frame. Rejects with an AnywireError.
   */
  async handshake(
    req: IncomingMessage,
    bodyToken: string | undefined,
    transport: HttpTransportName,
  ): Promise<{ session: Session; welcome: object }> {
    const identity = await this.core.authenticate(bearer(req) ?? bodyToken, req);
    let issued;
    try {
      issued = this.tokens.issue(identity, transport === 'sse', expiryOf(identity));
    } catch (err) {
      this.core.emit('error', err as Error);
      throw new AnywireError('UNAUTHORIZED', 'the identity cannot be carried in a session id');
    }
    // Before the client can send a subscription change that lands elsewhere, this node listens for it.
    this.listen();
    await this.signalsReady;
    const session = this.build(issued.claims, transport);
    if (!this.core.register(session, true)) {
      throw new AnywireError('LIMIT_EXCEEDED', `the server holds ${this.core.options.maxSessions} sessions`);
    }
    this.listen();
    if (transport !== 'sse') this.core.metrics.heard(session.id, transport);
    const o = this.core.options;
    return {
      session,
      welcome: {
        t: 'welcome',
        v: PROTOCOL_VERSION,
        sid: issued.sid,
        hb: o.heartbeatInterval,
        max: o.maxPayload,
        ...expField(issued.claims.tokenExp),
      },
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

  /**
   * The session of a verified request: found in the registry, or rebuilt silently (it was
   * announced by the node of its handshake). Undefined after answering 503 when the registry is full.
   * Every request is the session's sign of life, here and, by signal, on the node of its handshake.
   */
  find(
    claims: SessionClaims,
    transport: HttpTransportName | undefined,
    res: ServerResponse,
    cors: Record<string, string>,
  ): Session | undefined {
    const got = this.core.sessions.obtain(claims.id, () => this.build(claims, transport ?? (claims.stream ? 'sse' : 'polling')));
    if (!got) {
      sendJson(res, 503, { code: 'LIMIT_EXCEEDED', message: 'the server holds too many sessions' }, { ...cors, 'Retry-After': '1' });
      return undefined;
    }
    const session = got.session;
    if (transport !== undefined) {
      session.transport = transport;
      if (transport !== 'sse') this.core.metrics.heard(claims.id, transport); // a stream counts as live
    }
    session.lastSeen = Date.now();
    this.listen();
    this.liveness.heard(claims.id, got.rebuilt || !session.announced);
    return session;
  }

  /** Subscription changes for a session whose poll or stream is not held here: to every node. */
  forward(id: string, frames: readonly ClientFrame[]): void {
    this.core.broker.signal?.(changes, JSON.stringify({ i: id, f: frames }));
  }

  /** `POST /close` for a session this node does not hold: the node that holds it frees it. */
  forwardClose(id: string): void {
    this.core.broker.signal?.(changes, JSON.stringify({ i: id, c: 1 }));
  }

  /** Frees a session: its held poll answers `[]`, its stream ends, `disconnect` if it was announced here. */
  end(session: Session, reason: string): void {
    const down = session.sink as HttpDownstream;
    down.ended = true;
    down.detachAll();
    this.core.end(session, reason);
  }

  private build(claims: SessionClaims, transport: HttpTransportName): Session {
    const down = new HttpDownstream(this.core.options.maxBufferedBytes);
    const session = new Session(this.core, down, { id: claims.id, identity: claims.identity, transport });
    down.session = session;
    down.expires = claims.exp;
    down.selfCredit = !this.liveness.enforced;
    return session;
  }

  /** A sign of life from another node: the session here (if any) heard from its client. */
  private credit(id: string): boolean {
    const session = this.core.sessions.get(id);
    if (session) session.lastSeen = Date.now();
    return session !== undefined;
  }
}

/** Collects the answers of one `POST /send` (acks, errs of publishes, pongs). */
export class Replies implements Sink {
  private parts: string[] = [];
  /** Called after each answer. */
  onWrite: (() => void) | undefined;

  frame(frame: object): void {
    this.parts.push(JSON.stringify(frame));
    this.onWrite?.();
  }

  message(m: Outgoing): void {
    this.parts.push(m.text);
  }

  heartbeat(): void {}

  close(): void {}

  /** The collected frames as one JSON batch. */
  body(): string {
    return '[' + this.parts.join(',') + ']';
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

/** A refused handshake: 401 for authentication, 503 for a full server, 400 for the rest. */
export function sendHandshakeError(res: ServerResponse, err: unknown, cors: Record<string, string>): void {
  const e = err as AnywireError;
  const code = e?.code ?? 'UNAUTHORIZED';
  const status = code === 'UNAUTHORIZED' ? 401 : code === 'LIMIT_EXCEEDED' ? 503 : 400;
  sendJson(res, status, { code, message: e?.message ?? 'authentication failed' }, status === 503 ? { ...cors, 'Retry-After': '1' } : cors);
}
