// What the HTTP transports (SSE, long polling, polling) share on the client: the POST pipeline for
// upstream frames (publishes, subscription changes, pings), the cursor every downstream request
// carries (read from the core's Channels, never kept here), and the mapping of HTTP failures to a
// close. The server keeps a session between requests, rebuilt from the cursor when a request lands
// on a node without it (docs/protocol.md).
import { encodeText, expired, inlineBase64, readFrames, type ClientFrame, type ServerFrame } from '../core/frames.js';
import { errorMessage } from '../core/errors.js';
import { cursorOf } from '../core/transport.js';
import type { CloseInfo, TransportContext, TransportHandlers } from './types.js';

/** A request that failed; `info` is what the transport reports through `onClose`. */
export class HttpFailure extends Error {
  constructor(readonly info: CloseInfo) {
    super(info.reason);
  }
}

/** Server codes that end the session: the core must reconnect (a new session, resubscribed from offsets). */
const terminal = new Set([
  'SESSION_INVALID',
  'SERVER_SHUTTING_DOWN',
  'TIMEOUT',
  'PROTOCOL_ERROR',
  'SLOW_CONSUMER',
  'UNAUTHORIZED',
  'TOKEN_EXPIRED',
]);

/** An `err` frame without an id speaks about the connection, not a frame: the session is over. */
export function connectionError(frames: readonly ServerFrame[]): CloseInfo | undefined {
  for (const f of frames) {
    if (f.t === 'err' && f.id === undefined && terminal.has(f.code)) {
      return { reason: `${f.code}: ${f.msg}`, code: f.code, retryAfter: f.retry };
    }
  }
  return undefined;
}

/** Decodes a response body of server frames (a JSON batch). */
export function parseFrames(text: string): ServerFrame[] {
  const frames = readFrames(text, inlineBase64);
  if (typeof frames === 'string') throw new HttpFailure({ reason: `protocol error: ${frames}`, code: 'PROTOCOL_ERROR' });
  return frames;
}

/** Turns a non-2xx response into a close: the server's `{ code, message }` when it sent one. */
export async function failureOf(res: Response): Promise<HttpFailure> {
  let body: { code?: unknown; message?: unknown } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined;
  }
  const retry = Number(res.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry * 1000 : undefined;
  if (body && typeof body.code === 'string') {
    const message = typeof body.message === 'string' ? body.message : '';
    return new HttpFailure({ reason: `HTTP ${res.status} ${body.code}: ${message}`, code: body.code, retryAfter });
  }
  return new HttpFailure({ reason: `HTTP ${res.status} ${res.statusText}`.trim(), retryAfter });
}

export interface RequestOptions {
  body: string;
  /** Aborts the request (close, a cursor change). */
  signal: AbortSignal;
  /** ms before the request is given up as hung; 0 = never (the core's connect timeout covers it). */
  timeout: number;
  /** The timeout covers the response headers only (a stream), not the whole body. */
  headersOnly?: boolean;
  headers?: Record<string, string>;
}

/** A response whose body is still being read; `done()` releases the request's timer and listener. */
export interface Pending {
  res: Response;
  done(): void;
}

/**
 * POSTs to `<url>/<path>`. The body is JSON sent as text/plain: a CORS "simple" request, so a
 * browser sends no preflight per poll. Resolves with the response (status checked), or rejects
 * with an HttpFailure, or with the abort reason when `signal` aborted. The caller must call
 * `done()` once it has read the body.
 */
export async function post(ctx: TransportContext, path: string, o: RequestOptions): Promise<Pending> {
  const fetchFn = ctx.runtime.fetch;
  if (!fetchFn) throw new HttpFailure({ reason: 'no fetch in this runtime', code: 'PROTOCOL_ERROR' });
  const local = new AbortController();
  const onAbort = () => local.abort();
  if (o.signal.aborted) local.abort();
  o.signal.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  let timer =
    o.timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          local.abort();
        }, o.timeout)
      : undefined;
  const done = () => {
    clearTimeout(timer);
    timer = undefined;
    o.signal.removeEventListener('abort', onAbort);
  };
  try {
    const res = await fetchFn(`${ctx.url}/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...o.headers },
      body: o.body,
      signal: local.signal,
      cache: 'no-store',
    });
    if (!res.ok) throw await failureOf(res);
    if (o.headersOnly) clearTimeout(timer);
    return { res, done };
  } catch (err) {
    done();
    if (err instanceof HttpFailure) throw err;
    if (timedOut) throw new HttpFailure({ reason: `no response to ${path} within ${o.timeout} ms`, code: 'TIMEOUT' });
    if (o.signal.aborted) throw err;
    throw new HttpFailure({ reason: `${path} request failed: ${errorMessage(err)}` });
  }
}

/** Reads a whole response of frames, within the same timeout and abort as the request. */
export async function postFrames(ctx: TransportContext, path: string, o: RequestOptions): Promise<ServerFrame[]> {
  const { res, done } = await post(ctx, path, o);
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (o.signal.aborted) throw err;
    throw new HttpFailure({ reason: `${path} response cut off${o.timeout > 0 ? ' or too slow' : ''}: ${errorMessage(err)}` });
  } finally {
    done();
  }
  return parseFrames(text);
}

/** The token travels as a bearer header on the handshake (never in a URL, never stored). */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}

/** Upstream POSTs carry at most this many characters, so a burst of publishes stays under the body limit. */
const maxPostChars = 96 * 1024;

/**
 * Base of the HTTP transports: the session id, closing once, and the upstream POST pipeline (every
 * frame `send` gets in one tick goes in one POST; one POST in flight at a time).
 */
export abstract class HttpTransportBase {
  protected handlers: TransportHandlers | undefined;
  protected sid: string | undefined;
  /** Heartbeat interval from the welcome; request timeouts derive from it. */
  protected hb = 25_000;
  protected closed = false;
  /** Aborted by close(): every request of this transport listens to it. */
  protected readonly life = new AbortController();
  /** When the last upstream POST went out (ms). */
  protected posted = 0;
  #outbox: ClientFrame[] = [];
  #posting = false;
  #pumpQueued = false;

  constructor(protected readonly ctx: TransportContext) {}

  open(handlers: TransportHandlers, signal: AbortSignal): Promise<void> {
    this.handlers = handlers;
    if (signal.aborted) {
      this.close();
      return Promise.reject(new HttpFailure({ reason: 'aborted', code: 'CLOSED' }));
    }
    signal.addEventListener('abort', () => this.close(), { once: true });
    // Nothing to open yet: the connect frame the core sends next starts the session.
    return Promise.resolve();
  }

  send(frames: ClientFrame[]): void {
    if (this.closed) return;
    for (const f of frames) {
      if (f.t === 'connect') this.handshake(f.token);
      else if (f.t !== 'pong') this.#outbox.push(f); // HTTP transports are never pinged by the server
    }
    // Upstream frames leave at the end of the task, not after a timer: a timer costs a publish a
    // millisecond of latency, and while a POST is in flight later frames wait and batch anyway.
    if (this.#outbox.length && !this.#posting && !this.#pumpQueued) {
      this.#pumpQueued = true;
      queueMicrotask(() => {
        this.#pumpQueued = false;
        void this.#pump();
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#outbox = [];
    this.life.abort();
    this.stopped();
    // Best effort goodbye: the server frees the session at once (else it expires after two heartbeats).
    const fetchFn = this.ctx.runtime.fetch;
    if (this.sid === undefined || !fetchFn) return;
    fetchFn(`${this.ctx.url}/close`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify({ sid: this.sid }),
      keepalive: true,
    }).then(
      (res) => void res.body?.cancel().catch(() => {}),
      () => {},
    );
  }

  /** Starts the session with the core's connect frame. */
  protected abstract handshake(token: string | undefined): void;
  /** A POST that carried subscription changes was answered (short polling asks again at once). */
  protected changed(): void {}
  /** Releases what the subclass holds (timers); requests are aborted by `life`. */
  protected stopped(): void {}

  /** The body of a downstream request: the session and the whole cursor. */
  protected cursorBody(): string {
    return `{"sid":${JSON.stringify(this.sid)},"subs":${JSON.stringify(cursorOf(this.ctx.positions?.() ?? []))}}`;
  }

  /** Request timeout after the handshake: two heartbeats and a second of slack. */
  protected get requestTimeout(): number {
    return 2 * this.hb + 1000;
  }

  /** Passes frames to the core; ends the session on a connection error. */
  protected deliver(frames: ServerFrame[]): void {
    if (this.closed) return;
    for (const f of frames) {
      if (f.t === 'welcome') {
        this.sid = f.sid;
        this.hb = f.hb;
      }
      // A refreshed token comes with the session id to use from now on.
      if (f.t === 'authd' && f.sid) this.sid = f.sid;
    }
    this.handlers?.onFrames(frames);
    const ended = connectionError(frames);
    if (ended) this.fail(ended);
  }

  /** Reports the end of the transport once, unless close() came first. */
  protected fail(info: CloseInfo): void {
    if (this.closed) return;
    this.close();
    this.handlers?.onClose(info);
  }

  /** Reports a request failure (an abort by close() is not one). */
  protected failWith(err: unknown): void {
    if (this.closed) return;
    this.fail(err instanceof HttpFailure ? err.info : { reason: errorMessage(err) });
  }

  /** Sends queued upstream frames: one POST at a time, split to stay under the body limit. */
  async #pump(): Promise<void> {
    if (this.#posting || this.closed || this.sid === undefined) return;
    this.#posting = true;
    try {
      while (this.#outbox.length && !this.closed) {
        // Split at the size budget (a single larger frame still goes, alone).
        const parts: string[] = [];
        let size = 0;
        let changes = false;
        while (this.#outbox.length) {
          const f = this.#outbox[0]!;
          if (expired.has(f)) {
            this.#outbox.shift(); // its publish already rejected with TIMEOUT
            continue;
          }
          changes ||= f.t === 'sub' || f.t === 'unsub';
          const text = encodeText(f);
          if (parts.length && size + text.length > maxPostChars) break;
          parts.push(text);
          size += text.length;
          this.#outbox.shift();
        }
        if (!parts.length) break;
        const body = `{"sid":${JSON.stringify(this.sid)},"frames":[${parts.join(',')}]}`;
        this.posted = Date.now();
        const frames = await postFrames(this.ctx, 'send', { body, signal: this.life.signal, timeout: this.requestTimeout });
        this.deliver(frames);
        if (changes) this.changed();
      }
    } catch (err) {
      this.failWith(err);
    } finally {
      this.#posting = false;
    }
  }
}
