// The public server: HTTP and upgrade routing under `path`, lifecycle (listen, attach, close) and
// the backend's publish. The transport handlers and the session logic live beside it.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { EventEmitter } from 'eventemitter3';
import { memoryBroker } from './brokers/memory.js';
import { ServerCore, type ServerEvents } from './core.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { originAllowed } from './origin.js';
import { WebSocketHandler } from './transports/websocket.js';
import { HttpHandler } from './transports/http.js';
import { mount, type AnyHttpServer } from './attach.js';
import { history, type HistoryAnswer, type HistoryQuery } from './history.js';
import { SERVER_LIST_LIMIT, type PresenceMember } from './presence.js';
import { AnywireError } from '../../core/errors.js';
import { CHANNEL_PATTERN } from '../../core/frames.js';
import { serveOps, stats } from './health.js';
import type { ServerStats } from './metrics.js';

export class AnywireServer extends EventEmitter<ServerEvents> {
  private readonly core: ServerCore;
  private readonly ws: WebSocketHandler | undefined;
  private readonly http: HttpHandler;
  /** Each attached http server, with the function that detaches from it. */
  private readonly attached = new Map<AnyHttpServer, () => void>();
  private own: HttpServer | undefined;
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;

  constructor(options: ServerOptions = {}) {
    super();
    const opts = resolveServerOptions(options);
    this.core = new ServerCore(opts, options.broker ?? memoryBroker());
    // Re-emit the core's events from the public object.
    this.core.on('connection', (e) => this.emit('connection', e));
    this.core.on('disconnect', (e) => this.emit('disconnect', e));
    this.core.on('error', (e) => this.emit('error', e));
    this.ws = opts.transports.includes('websocket') ? new WebSocketHandler(this.core) : undefined;
    this.http = new HttpHandler(this.core);
  }

  /** The path this server handles, e.g. '/anywire'. */
  get path(): string {
    return this.core.options.path;
  }

  /** Client sessions this server holds, on every transport (an HTTP session between its requests too). */
  get connectionCount(): number {
    return this.core.sessions.size;
  }

  /**
   * Every listener is called in isolation: one that throws is reported as an `error` event (an
   * `error` listener that throws, on stderr) and never stops the others, a client, or the process.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the base class's signature
  override emit(event: keyof ServerEvents, ...args: any[]): boolean {
    // eventemitter3 keeps one listener as an object and several as an array of { fn, context, once }.
    const raw = (this as unknown as { _events: Record<string, Listener | Listener[] | undefined> })._events[event];
    if (!raw) return false;
    const list = Array.isArray(raw) ? raw.slice() : [raw];
    for (const l of list) {
      if (l.once) this.removeListener(event, l.fn as never, undefined, true);
      try {
        (l.fn as (...a: unknown[]) => void).apply(l.context, args);
      } catch (err) {
        if (event === 'error') console.error('anywire: an "error" listener threw:', err);
        else
          this.emit(
            'error',
            new AnywireError('PROTOCOL_ERROR', `a "${event}" listener threw: ${(err as Error)?.message ?? String(err)}`, { cause: err }),
          );
      }
    }
    return true;
  }

  /** Channels with at least one subscriber in this process. */
  get channelCount(): number {
    return this.core.hub.channelCount;
  }

  /** False while the broker is unreachable. */
  get brokerHealthy(): boolean {
    return this.core.broker.healthy;
  }

  /**
   * Serves `path` on an existing http or https server (https gives wss://). Requests and upgrades
   * for `path` reach anywire alone, whether the app's listeners were added before or after this
   * call; everything else reaches the app's listeners unchanged (see attach.ts).
   */
  attach(server: AnyHttpServer): this {
    if (this.attached.has(server)) return this;
    let detached = false;
    const unmount = mount(server, {
      // Once closed, a mount that is still installed owns nothing: the app gets the path back.
      owns: (url) => !detached && this.owns(url),
      request: (req, res) => this.handleRequest(req, res),
      upgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
    });
    this.attached.set(server, () => {
      detached = true;
      unmount();
    });
    return this;
  }

  /** Starts an http server of its own on `port` (0 = ephemeral) and `host`. */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ port: number; host: string; url: string }> {
    if (this.own) throw new Error('anywire: listen() was already called');
    const server = createHttpServer();
    // One listener for every socket, not a closure (and a `once` wrapper) per connection.
    const sockets = this.sockets;
    function forget(this: Socket): void {
      sockets.delete(this);
    }
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', forget);
    });
    this.own = server;
    this.attach(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { port: addr.port, host: addr.address, url: `http://${shownHost}:${addr.port}${this.path}` };
  }

  /** Publishes from the backend; works before `listen()`. */
  publish(channel: string, data: unknown): Promise<{ offset: number }> {
    return this.core.publish(channel, data);
  }

  /** A page of a channel's history, newest last: `{ messages: [{ data, offset }], epoch, latest }`. */
  history(channel: string, query?: HistoryQuery): Promise<HistoryAnswer> {
    return history(this.core.broker, channel, query);
  }

  /**
   * Who is subscribed to `channel` (at most 10,000 members): the same list on every server of one
   * Redis. Rejects with BAD_REQUEST when presence is not enabled on the channel.
   */
  async presence(channel: string): Promise<PresenceMember[]> {
    const p = this.core.presence;
    if (typeof channel !== 'string' || !CHANNEL_PATTERN.test(channel))
      throw new AnywireError('BAD_REQUEST', `invalid channel name "${String(channel)}"`);
    if (!p?.enabled(channel)) throw new AnywireError('BAD_REQUEST', `presence is not enabled on "${channel}"`);
    return (await p.list(channel, SERVER_LIST_LIMIT)).members;
  }

  /** Counters and gauges for dashboards; see docs/operations.md. */
  stats(): ServerStats {
    return stats(this.core);
  }

  /** `stats()` as Prometheus text exposition (names prefixed `anywire_`); see docs/operations.md. */
  metrics(): string {
    return this.core.metrics.exposition(stats(this.core));
  }

  /**
   * Graceful shutdown: every client is told to reconnect (elsewhere) after a short delay, then
   * connections close. Closes the http server only if `listen()` created it, and the broker.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.core.closing = true;
    const retry = this.core.options.shutdownRetryAfter;
    await Promise.all([this.ws?.shutdown(retry), this.http.shutdown(retry)]);
    this.core.stopWheel();
    for (const detach of this.attached.values()) detach();
    this.attached.clear();
    if (this.own) {
      const own = this.own;
      const closed = new Promise<void>((resolve) => own.close(() => resolve()));
      own.closeIdleConnections();
      for (const s of this.sockets) s.destroy();
      await closed;
    }
    await this.core.presence?.close();
    await this.core.broker.close();
  }

  private owns(url: string | undefined): boolean {
    const path = this.path;
    if (url === undefined) return false;
    const p = url.split('?', 1)[0]!;
    return p === path || p.startsWith(path + '/') || (path === '' && p === '/');
  }

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const sub = req.url!.split('?', 1)[0]!.slice(this.path.length) || '/';
    if (serveOps(this.core, req, res, sub)) return;
    this.http.handle(req, res, sub);
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', ignore);
    const reject = (status: number, code: string, message: string) => {
      const body = JSON.stringify({ code, message });
      socket.end(
        `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Service Unavailable'}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
    if (!this.ws) return reject(403, 'BAD_REQUEST', 'websocket transport is disabled');
    if (this.core.closing) return reject(503, 'SERVER_SHUTTING_DOWN', 'server is shutting down');
    if (!originAllowed(req, this.core.options.allowedOrigins, this.core.options.publicOrigins))
      return reject(403, 'FORBIDDEN', 'origin not allowed');
    this.ws.upgrade(req, socket, head);
    // ws has its own error listener on the socket from here on (during its handshake and after);
    // ours would only make the socket's listeners an array for the connection's whole life.
    socket.off('error', ignore);
  }
}

function ignore(): void {}

interface Listener {
  fn: unknown;
  context: unknown;
  once: boolean;
}

/** Creates an anywire server; see ServerOptions for every option and its default. */
export function createServer(options: ServerOptions = {}): AnywireServer {
  return new AnywireServer(options);
}
