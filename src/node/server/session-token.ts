// HTTP session ids: a signed, expiring token instead of a server-side lookup, so any server that
// shares the secret can answer any request, and a forged, guessed, tampered, expired or foreign id
// is refused without shared state. Signed, not encrypted: the identity inside is readable by the
// client, so it must hold nothing secret (and must be JSON).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Identity } from './options.js';

/** What a valid session id carries. */
export interface SessionClaims {
  /** The session's id (the `id` in `connection`/`disconnect` events). */
  id: string;
  identity: Identity;
  /** Expiry, ms since the epoch: never later than the issue time plus `sessionTtl`. */
  exp: number;
  /** Issued to an SSE stream: its POSTs are the stream's sign of life (sse-liveness.ts). */
  stream: boolean;
  /** The identity's token expiry (ms since the epoch), when it has one: the id is refused after it (token-expiry.ts). */
  tokenExp?: number | undefined;
}

/** Session ids longer than this are refused (the welcome frame allows 4096 characters). */
const maxLength = 4096;
const prefix = 'v1.';
/** How far ahead of this server's clock another server's issue time may be (clock skew). */
const maxSkew = 30_000;

export class SessionTokens {
  private readonly key: Buffer;

  constructor(
    secret: string | undefined,
    private readonly ttl: number,
  ) {
    // Without a configured secret, a random one per process: ids from another process are foreign.
    // The key is never stored anywhere else (not in the broker): whoever could read it could
    // mint ids for any identity.
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /**
   * A new session for `identity` (of an SSE stream when `stream`); throws when the identity cannot
   * travel in an id. `tokenExp` (ms) bounds the id's life too; `id` keeps a session's id (a refresh).
   */
  issue(identity: Identity, stream = false, tokenExp?: number, id: string = randomUUID()): { sid: string; claims: SessionClaims } {
    const now = Date.now();
    const claims: SessionClaims = { id, identity, exp: now + this.ttl, stream, tokenExp };
    let json: string | undefined;
    try {
      const fields: Record<string, unknown> = { s: claims.id, i: identity ?? null, a: now, x: claims.exp };
      if (stream) fields.t = 1;
      if (tokenExp !== undefined) fields.k = tokenExp;
      json = JSON.stringify(fields);
    } catch {
      json = undefined;
    }
    if (json === undefined) throw new Error('the identity returned by authenticate is not JSON-serialisable');
    const body = prefix + Buffer.from(json).toString('base64url');
    const sid = body + '.' + this.sign(body);
    if (sid.length > maxLength) throw new Error(`the identity is too large for an HTTP session id (${sid.length} > ${maxLength})`);
    return { sid, claims: { ...claims, identity: JSON.parse(json).i } };
  }

  /**
   * The claims of a valid, unexpired id signed with this secret; undefined for anything else. An
   * id is valid for at most `sessionTtl` after its issue time, whatever expiry it claims (an id
   * with a far-future expiry, or issued in the future, is refused).
   */
  verify(sid: unknown): SessionClaims | undefined {
    const claims = this.read(sid);
    return claims && (claims.tokenExp === undefined || claims.tokenExp > Date.now()) ? claims : undefined;
  }

  /** True for an id that is genuine and within its ttl, but whose token expired (TOKEN_EXPIRED, not SESSION_INVALID). */
  tokenExpired(sid: unknown): boolean {
    const claims = this.read(sid);
    return claims?.tokenExp !== undefined && claims.tokenExp <= Date.now();
  }

  /** The claims of a genuine id within its ttl, whatever its token expiry. */
  private read(sid: unknown): SessionClaims | undefined {
    if (typeof sid !== 'string' || sid.length > maxLength || !sid.startsWith(prefix)) return undefined;
    const dot = sid.lastIndexOf('.');
    if (dot <= prefix.length) return undefined;
    const body = sid.slice(0, dot);
    const given = Buffer.from(sid.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    let parsed: { s?: unknown; i?: unknown; a?: unknown; x?: unknown; t?: unknown; k?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(body.slice(prefix.length), 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof parsed?.s !== 'string' || typeof parsed.x !== 'number' || typeof parsed.a !== 'number') return undefined;
    const now = Date.now();
    const exp = Math.min(parsed.x, parsed.a + this.ttl);
    if (exp <= now || parsed.a > now + maxSkew) return undefined;
    return { id: parsed.s, identity: parsed.i, exp, stream: parsed.t === 1, tokenExp: typeof parsed.k === 'number' ? parsed.k : undefined };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
