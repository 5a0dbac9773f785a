// HTTP routing under `path`: the script-tag bundle and the HTTP transports (SSE, long polling,
// polling). Each HTTP transport feeds the same Session as the WebSocket handler does. Every
// endpoint answers CORS (preflights too, and errors with their CORS headers so a browser shows the
// real error), reads at most a bounded body, validates it, and answers bad input with a 4xx and a
// JSON `{ code, message }` — never a 5xx, never a crash.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TransportName } from '../../../adapters/types.js';
import type { ServerCore } from '../core.js';
import { serveClientBundle } from '../client-bundle.js';
import { sendJson } from '../http-util.js';
import { IpLimit } from '../ip-limit.js';
import { corsHeaders, preflightHeaders } from './cors.js';
import { HttpSessions } from './http-session.js';
import { PollingHandler } from './polling.js';
import { SseHandler } from './sse.js';

type Cors = Record<string, string>;
type Endpoint = (req: IncomingMessage, res: ServerResponse, body: unknown, cors: Cors) => Promise<void>;

interface Route {
  /** The transports this endpoint serves; it answers 404 when all of them are disabled. */
  transports: readonly TransportName[];
  run: Endpoint;
}

const httpTransports: readonly TransportName[] = ['sse', 'long-polling', 'polling'];

export class HttpHandler {
  private readonly sessions: HttpSessions;
  private readonly polling: PollingHandler;
  private readonly sse: SseHandler;
  private readonly routes: Record<string, Route>;
  /** Largest body read: the biggest publish (base64 inflates binary by a third) plus room for a cursor. */
  private readonly maxBody: number;
  /** SSE streams and long polls open per IP address (`maxStreamsPerIp`). */
  private readonly held: IpLimit;

  constructor(private readonly core: ServerCore) {
    this.sessions = new HttpSessions(core);
    this.sse = new SseHandler(core, this.sessions);
    this.polling = new PollingHandler(core, this.sessions);
    this.maxBody = Math.ceil(core.options.maxPayload * 1.4) + 256 * 1024;
    this.held = new IpLimit(core.options.maxStreamsPerIp);
    const p = this.polling;
    this.routes = {
      '/connect': { transports: ['long-polling', 'polling'], run: (q, s, b, c) => p.connect(q, s, b, c) },
      '/poll': { transports: ['polling'], run: (q, s, b, c) => p.poll(q, s, b, c, false) },
      '/long-poll': { transports: ['long-polling'], run: (q, s, b, c) => p.poll(q, s, b, c, true) },
      '/send': { transports: httpTransports, run: (q, s, b, c) => p.send(q, s, b, c) },
      '/close': { transports: httpTransports, run: (q, s, b, c) => p.close(q, s, b, c) },
      '/sse': { transports: ['sse'], run: (q, s, b, c) => this.sse.open(q, s, b, c) },
    };
  }

  /** `sub` is the request path below the server's path, e.g. '/client.js'. */
  handle(req: IncomingMessage, res: ServerResponse, sub: string): void {
    if (/^\/client(\.share)?\.js(\.map)?$/.test(sub) && (req.method === 'GET' || req.method === 'HEAD')) {
      return serveClientBundle(req, res, sub);
    }
    const cors = corsHeaders(req, this.core.options.allowedOrigins, this.core.options.publicOrigins);
    if (!cors) {
      req.resume();
      return sendJson(res, 403, { code: 'FORBIDDEN', message: `origin ${req.headers.origin} is not allowed` });
    }
    const route = Object.hasOwn(this.routes, sub) ? this.routes[sub] : undefined;
    const enabled = route?.transports.some((t) => this.core.options.transports.includes(t));
    if (!route || !enabled) {
      req.resume();
      return sendJson(res, 404, { code: 'BAD_REQUEST', message: route ? `${sub}: transport disabled` : `no such endpoint: ${sub}` }, cors);
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ...cors, ...preflightHeaders() });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      return sendJson(res, 405, { code: 'BAD_REQUEST', message: `${sub} takes POST` }, { ...cors, Allow: 'POST, OPTIONS' });
    }
    if (this.core.closing) {
      req.resume();
      const retry = String(Math.ceil(this.core.options.shutdownRetryAfter / 1000));
      return sendJson(res, 503, { code: 'SERVER_SHUTTING_DOWN', message: 'server is shutting down' }, { ...cors, 'Retry-After': retry });
    }
    if ((sub === '/sse' || sub === '/long-poll') && !this.held.acquire(req, res)) {
      req.resume();
      const limit = this.core.options.maxStreamsPerIp;
      return sendJson(
        res,
        429,
        { code: 'RATE_LIMITED', message: `more than ${limit} streams and long polls open from this address` },
        cors,
      );
    }
    readBody(req, this.maxBody, this.core.options.bodyTimeout).then(
      (text) => {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'the body is not JSON' }, cors);
        }
        route.run(req, res, body, cors).catch((err: Error) => {
          this.core.emit('error', err);
          sendJson(res, 400, { code: 'BAD_REQUEST', message: 'request failed' }, cors);
        });
      },
      (err: BodyError) => {
        const headers = err.status === 413 || err.status === 408 ? { ...cors, Connection: 'close' } : cors;
        // A stalled body's socket is cut once the answer is out: its sender is not reading on.
        if (err.status === 408) res.once('finish', () => req.socket.destroy());
        sendJson(res, err.status, { code: err.code, message: err.message }, headers);
      },
    );
  }

  /** Ends SSE streams and held long polls with SERVER_SHUTTING_DOWN (and the retry hint); frees every HTTP session. */
  async shutdown(retryAfter: number): Promise<void> {
    this.sse.shutdown();
    for (const s of [...this.core.sessions.values()]) {
      if (s.transport === 'websocket') continue;
      s.sink.close('SERVER_SHUTTING_DOWN', 'server is shutting down', retryAfter);
      this.sessions.end(s, 'SERVER_SHUTTING_DOWN');
    }
  }
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a request body of at most `limit` bytes. Past the limit it stops keeping data at once and
 * rejects with 413; the rest is drained (so the client can read the answer) up to a bound, then
 * the socket is cut. A body that goes `idle` ms without a byte is refused with 408 and its
 * socket cut after the answer (a trickled body must not hold a socket for Node's 300 s).
 */
function readBody(req: IncomingMessage, limit: number, idle: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stall = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      reject(new BodyError(408, 'TIMEOUT', `no body byte for ${idle} ms`));
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(stall, idle);
    };
    const done = () => clearTimeout(timer);
    arm();
    const tooLarge = () => new BodyError(413, 'PAYLOAD_TOO_LARGE', `the body exceeds ${limit} bytes`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      done();
      drain(req, limit);
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.off('data', onData);
        req.off('end', onEnd);
        chunks.length = 0;
        drain(req, limit);
        reject(tooLarge());
        return;
      }
      arm();
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', () => {
      done();
      reject(new BodyError(400, 'BAD_REQUEST', 'the request was cut off'));
    });
  });
}

/** Discards the rest of a refused body; a client that keeps sending past another `limit` is cut off. */
function drain(req: IncomingMessage, limit: number): void {
  let extra = 0;
  req.on('data', (chunk: Buffer) => {
    extra += chunk.length;
    if (extra > limit) req.socket.destroy();
  });
  req.resume();
}
