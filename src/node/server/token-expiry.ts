// Token expiry and refresh on the server. An identity with a numeric `exp` (seconds since the
// epoch, as in a JWT's claims) is valid until then on every transport:
// - live connections (WebSocket, SSE streams) are ended with TOKEN_EXPIRED at `exp` by one timer
//   for all of them (`Expiry`), armed for the earliest expiry, never one timer per connection;
// - HTTP session ids carry the expiry and are refused after it (session-token.ts), so a polling
//   session cannot outlive it either.
// A client hands a new token over in-band (`auth`): the server runs `authenticate` on it, applies
// the new identity and `exp`, and asks `authorize` again for what it had cached.
import type { IncomingMessage } from 'node:http';
import type { AuthedFrame } from '../../core/grammar.js';
import type { AuthCache } from './auth-cache.js';
import type { ServerCore } from './core.js';
import type { Identity } from './options.js';
import type { Session } from './session.js';
import type { SessionClaims, SessionTokens } from './session-token.js';

/** The identity's expiry in ms since the epoch, when it has a numeric `exp` (seconds). */
export function expiryOf(identity: Identity): number | undefined {
  const exp = (identity as { exp?: unknown } | null)?.exp;
  return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
}

/** The `exp` field of a welcome or `authd` frame (seconds), present when the identity has one. */
export function expField(expMs: number | undefined): { exp?: number } {
  return expMs === undefined ? {} : { exp: Math.max(0, Math.floor(expMs / 1000)) };
}

/** The live sessions with an expiry, bucketed by it, and the one timer that ends them. */
export class Expiry {
  private readonly buckets = new Map<number, Set<Session>>();
  private readonly at = new Map<Session, number>();
  /** Live sessions by session id: an HTTP refresh (POST /send) finds its SSE stream here. */
  private readonly byId = new Map<string, Set<Session>>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor = Infinity;

  constructor(private readonly core: ServerCore) {}

  /** Registers a live session whose identity has an expiry (no-op otherwise); again after a refresh. */
  track(session: Session): void {
    this.untrack(session);
    const exp = expiryOf(session.identity);
    if (exp === undefined) return;
    let bucket = this.buckets.get(exp);
    if (!bucket) this.buckets.set(exp, (bucket = new Set()));
    bucket.add(session);
    this.at.set(session, exp);
    let same = this.byId.get(session.id);
    if (!same) this.byId.set(session.id, (same = new Set()));
    same.add(session);
    if (exp < this.armedFor) this.arm(exp);
  }

  untrack(session: Session): void {
    const exp = this.at.get(session);
    if (exp === undefined) return;
    this.at.delete(session);
    const bucket = this.buckets.get(exp);
    bucket?.delete(session);
    if (bucket?.size === 0) this.buckets.delete(exp);
    const same = this.byId.get(session.id);
    same?.delete(session);
    if (same?.size === 0) this.byId.delete(session.id);
    // The timer may stay armed for an empty bucket: it finds nothing there and re-arms.
  }

  /** The live sessions of session id `id` on this node (an SSE stream; empty on another node). */
  sessionsOf(id: string): Session[] {
    return [...(this.byId.get(id) ?? [])];
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(exp: number): void {
    clearTimeout(this.timer);
    this.armedFor = exp;
    this.timer = setTimeout(() => this.fire(), Math.max(0, exp - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [exp, bucket] of [...this.buckets]) {
      if (exp > now) {
        next = Math.min(next, exp);
        continue;
      }
      for (const s of [...bucket]) {
        this.untrack(s);
        this.core.metrics.refuse('TOKEN_EXPIRED');
        s.sink.close('TOKEN_EXPIRED', 'the token expired and no new one was handed over: reconnect with a fresh token');
      }
    }
    if (next < Infinity) this.arm(next);
  }
}

/** Runs `authenticate` on a refreshed token: the new identity, or the refusal's message. */
async function reauthenticate(
  core: ServerCore,
  token: string,
  request: IncomingMessage | undefined,
): Promise<{ identity: Identity } | { msg: string }> {
  try {
    // `request`: the connection's upgrade request (WebSocket) or the POST that carried the token (HTTP).
    return { identity: await core.authenticate(token, request as IncomingMessage) };
  } catch (err) {
    return { msg: (err as Error).message || 'authentication failed' };
  }
}

/** An `auth` frame on a live connection (WebSocket): re-authenticates and answers `authd`. */
export async function refreshLive(core: ServerCore, session: Session, token: string): Promise<void> {
  if (session.request === undefined) {
    session.sink.frame({ t: 'authd', code: 'BAD_REQUEST', msg: 'this connection has no token expiry to refresh' } satisfies AuthedFrame);
    return;
  }
  const r = await reauthenticate(core, token, session.request);
  if (!core.live.has(session)) return; // it ended meanwhile
  if ('msg' in r) {
    session.sink.frame({ t: 'authd', code: 'UNAUTHORIZED', msg: r.msg } satisfies AuthedFrame);
    return;
  }
  session.renew(r.identity);
  core.expiry.track(session);
  session.sink.frame({ t: 'authd', ...expField(expiryOf(r.identity)) } satisfies AuthedFrame);
}

/**
 * An `auth` frame by POST /send (HTTP transports): re-authenticates, issues the session id the
 * client uses from now on (same session, new identity and expiry), forgets the session's cached
 * `authorize` answers and renews its live SSE stream on this node. Resolves with the `authd` answer.
 */
export async function refreshHttp(
  core: ServerCore,
  tokens: SessionTokens,
  auth: AuthCache,
  request: IncomingMessage,
  claims: SessionClaims,
  token: string,
): Promise<AuthedFrame> {
  const r = await reauthenticate(core, token, request);
  if ('msg' in r) return { t: 'authd', code: 'UNAUTHORIZED', msg: r.msg };
  const exp = expiryOf(r.identity);
  let issued;
  try {
    issued = tokens.issue(r.identity, claims.stream, exp, claims.id);
  } catch (err) {
    return { t: 'authd', code: 'UNAUTHORIZED', msg: (err as Error).message };
  }
  auth.forget(claims.id);
  for (const s of core.expiry.sessionsOf(claims.id)) {
    s.renew(issued.claims.identity);
    core.expiry.track(s);
  }
  return { t: 'authd', ...expField(exp), sid: issued.sid };
}
