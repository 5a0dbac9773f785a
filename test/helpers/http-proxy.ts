// A loopback HTTP proxy for fault injection: it can refuse WebSocket upgrades, black-hole them,
// buffer `text/event-stream` responses until they end (as a misconfigured proxy does), refuse
// everything, and cut every connection on demand. Targets are switchable.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ProxyFaults {
  /** Answer WebSocket upgrades with 403. */
  refuseWebSocket: boolean;
  /** Accept WebSocket upgrade requests and never answer. */
  blackholeWebSocket: boolean;
  /** Hold `text/event-stream` bodies until the upstream response ends. */
  bufferSse: boolean;
  /** Answer every HTTP request with 502 and refuse upgrades. */
  refuseHttp: boolean;
}

export interface FaultProxy {
  /** Base URL of the proxy, e.g. http://127.0.0.1:PORT (append the anywire path). */
  readonly origin: string;
  readonly port: number;
  faults: ProxyFaults;
  /** Where requests go next, e.g. http://127.0.0.1:1234 ; switch it to fail over. */
  target: string;
  /** Destroys every open connection (both sides); new ones are accepted as usual. */
  cutAll(): void;
  /**
   * Stops forwarding bytes on every open connection without closing it: a silently dead link
   * (heartbeats must find it). New connections are unaffected.
   */
  freezeAll(): void;
  /** Connections currently open through the proxy. */
  readonly openConnections: number;
  /** WebSocket upgrades forwarded so far. */
  readonly upgrades: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, faults: Partial<ProxyFaults> = {}): Promise<FaultProxy> {
  const sockets = new Set<Duplex>();
  const track = (s: Duplex) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
  };
  let upgrades = 0;
  const frozen = new Set<Duplex>();
  const relay = (from: Duplex, to: Duplex) => {
    from.on('data', (c: Buffer) => {
      if (!frozen.has(from)) to.write(c);
    });
  };
  const state = {
    faults: { refuseWebSocket: false, blackholeWebSocket: false, bufferSse: false, refuseHttp: false, ...faults },
    target,
  };

  const server: Server = createServer((req, res) => {
    if (frozen.has(req.socket)) return; // a dead link: the request is swallowed
    if (state.faults.refuseHttp) {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('refused by proxy');
      return;
    }
    const t = new URL(state.target);
    const upstream = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (up: IncomingMessage) => {
        const isSse = String(up.headers['content-type'] ?? '').startsWith('text/event-stream');
        if (isSse && state.faults.bufferSse) {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            res.end(Buffer.concat(chunks));
          });
          up.on('error', () => res.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.on('data', (c: Buffer) => {
          if (!frozen.has(up.socket)) res.write(c);
        });
        up.on('end', () => res.end());
        up.on('error', () => res.destroy());
      },
    );
    upstream.on('socket', track);
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', track);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    track(socket);
    if (state.faults.blackholeWebSocket) return; // accept the bytes, never answer
    if (state.faults.refuseWebSocket || state.faults.refuseHttp) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const t = new URL(state.target);
    const upstream: Socket = connect(Number(t.port), t.hostname, () => {
      upgrades++;
      let headText = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < req.rawHeaders.length; i += 2) headText += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
      upstream.write(headText + '\r\n');
      if (head.length) upstream.write(head);
      relay(upstream, socket);
      relay(socket, upstream);
    });
    track(upstream);
    upstream.once('close', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    get faults() {
      return state.faults;
    },
    set faults(f: ProxyFaults) {
      state.faults = f;
    },
    get target() {
      return state.target;
    },
    set target(t: string) {
      state.target = t;
    },
    get openConnections() {
      return sockets.size;
    },
    get upgrades() {
      return upgrades;
    },
    cutAll() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    freezeAll() {
      for (const s of sockets) frozen.add(s);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
