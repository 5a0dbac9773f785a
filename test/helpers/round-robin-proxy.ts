// A tiny round-robin HTTP load balancer for tests: every request (not every connection) goes to the
// next target, so two requests of one client land on different servers — no stickiness at all.
// Responses stream through unbuffered (SSE works), WebSocket upgrades are piped to the next target
// too. Targets can be switched and connections cut.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export interface RoundRobinProxy {
  readonly port: number;
  /** Requests forwarded to each target port so far. */
  readonly hits: Map<number, number>;
  /** Where requests go, in turn; with none, every request is answered 502. */
  setTargets(...ports: number[]): void;
  /** Sends every request whose path ends with `suffix` (e.g. '/send') to `port`, out of turn. */
  pin(suffix: string, port: number): void;
  /** Destroys every open client connection (and with it the requests in flight). */
  cutAll(): void;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(...targets: number[]): Promise<RoundRobinProxy> {
  let ports = targets;
  let next = 0;
  const hits = new Map<number, number>();
  const pins = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (ports.length === 0) {
      res.writeHead(502, { 'Content-Type': 'text/plain' }).end('no upstream');
      return;
    }
    const path = (req.url ?? '').split('?', 1)[0]!;
    let port: number | undefined;
    for (const [suffix, p] of pins) if (path.endsWith(suffix)) port = p;
    port ??= ports[next++ % ports.length]!;
    hits.set(port, (hits.get(port) ?? 0) + 1);
    const upstream = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers, agent: false }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      res.flushHeaders();
      up.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  // A WebSocket upgrade: the raw request to the next target, then bytes both ways.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    if (ports.length === 0) return socket.destroy();
    const port = ports[next++ % ports.length]!;
    hits.set(port, (hits.get(port) ?? 0) + 1);
    const up = connect(port, '127.0.0.1', () => {
      let raw = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) raw += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      up.write(raw + '\r\n');
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    sockets.add(up);
    up.once('close', () => {
      sockets.delete(up);
      socket.destroy();
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
    socket.once('close', () => up.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const cutAll = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    setTargets(...p: number[]) {
      ports = p;
      next = 0;
    },
    pin(suffix: string, port: number) {
      pins.set(suffix, port);
    },
    cutAll,
    close() {
      cutAll();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
