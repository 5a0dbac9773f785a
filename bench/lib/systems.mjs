// The systems under test: raw `ws` (the limit), anywire on each of its transports, and Socket.IO
// 4.8 on WebSocket and on long polling. Each has a server side (run in the server process) and a
// client side (run in client processes), with the same small surface so every scenario is written
// once.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHANNEL = 'bench';
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** anywire's build: run.mjs points this at its private copy of dist/. */
const DIST = process.env.ANYWIRE_BENCH_DIST ?? `${ROOT}dist/`;

/** Short-polling interval used by the bench (the client default is 2000 ms). */
export const POLL_INTERVAL = 250;

export const SYSTEMS = [
  { name: 'ws', label: 'raw ws', kind: 'ws' },
  { name: 'anywire-websocket', label: 'anywire WebSocket', kind: 'anywire', transport: 'websocket' },
  { name: 'anywire-sse', label: 'anywire SSE', kind: 'anywire', transport: 'sse' },
  { name: 'anywire-long-polling', label: 'anywire long polling', kind: 'anywire', transport: 'long-polling' },
  { name: 'anywire-polling', label: 'anywire polling', kind: 'anywire', transport: 'polling' },
  { name: 'socketio-websocket', label: 'Socket.IO WebSocket', kind: 'socketio', transport: 'websocket' },
  { name: 'socketio-polling', label: 'Socket.IO long polling', kind: 'socketio', transport: 'polling' },
];

export function systemByName(name) {
  const s = SYSTEMS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown system ${name}`);
  return s;
}

/** Why an anywire transport cannot be benchmarked in this checkout, or undefined when it can. */
export function unavailableReason(system) {
  if (system.kind !== 'anywire') return undefined;
  if (!existsSync(`${ROOT}src/adapters/${system.transport}.ts`)) {
    return `not implemented yet (no src/adapters/${system.transport}.ts)`;
  }
  return undefined;
}

// ---- server side ------------------------------------------------------------------------------

/** Starts the system's server on 127.0.0.1:0. Returns { port, path, broadcast(obj), connections() }. */
export async function startServer(system) {
  if (system.kind === 'ws') {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise((r) => wss.once('listening', r));
    // The limit: relay every message, unparsed, to every other client.
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => {
        for (const c of wss.clients) if (c !== ws && c.readyState === 1) c.send(data, { binary: isBinary });
      });
    });
    return {
      url: `ws://127.0.0.1:${wss.address().port}`,
      broadcast(obj) {
        const buf = Buffer.from(JSON.stringify(obj));
        for (const c of wss.clients) if (c.readyState === 1) c.send(buf, { binary: false });
      },
      connections: () => wss.clients.size,
    };
  }
  if (system.kind === 'anywire') {
    const { createServer } = await import(`${DIST}server.js`);
    // The server's default options, as a user's first benchmark runs it (the default rate budget
    // slows a publisher before it refuses one, and is far above what these cases send), except the
    // per-address cap on held HTTP requests: every bench client shares one loopback address.
    const server = createServer({ maxStreamsPerIp: Infinity });
    const { url } = await server.listen(0, '127.0.0.1');
    return {
      url,
      broadcast(obj) {
        server.publish(CHANNEL, obj).catch(() => {});
      },
      connections: () => server.connectionCount,
    };
  }
  if (system.kind === 'socketio') {
    const { createServer } = await import('node:http');
    const { Server } = await import('socket.io');
    const http = createServer();
    const io = new Server(http, { transports: ['websocket', 'polling'], serveClient: false });
    io.on('connection', (s) => {
      if (s.handshake.query.role === 'sub') s.join(CHANNEL);
      s.on('pub', (d) => io.to(CHANNEL).emit('msg', d));
    });
    await new Promise((r) => http.listen(0, '127.0.0.1', r));
    return {
      url: `http://127.0.0.1:${http.address().port}`,
      broadcast(obj) {
        io.to(CHANNEL).emit('msg', obj);
      },
      connections: () => io.engine.clientsCount,
    };
  }
  throw new Error(`unknown kind ${system.kind}`);
}

// ---- client side ------------------------------------------------------------------------------

let anywireModule;
let wsModule;
let ioModule;

/**
 * Connects one client. `role` is 'pub' or 'sub'; a 'sub' calls `onMessage(data)` for every message
 * on the bench channel. Resolves once subscribed (sub) or connected (pub) with { publish(obj), close() }.
 */
export async function connectClient(system, url, role, onMessage) {
  if (system.kind === 'ws') {
    wsModule ??= (await import('ws')).default;
    const ws = new wsModule(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.on('error', () => {});
    if (onMessage) ws.on('message', (data) => onMessage(JSON.parse(data.toString())));
    return { publish: (obj) => ws.send(JSON.stringify(obj)), close: () => ws.terminate() };
  }
  if (system.kind === 'anywire') {
    anywireModule ??= await import(`${DIST}index.js`);
    const client = anywireModule.createClient({
      url,
      transports: [system.transport],
      connectTimeout: 30_000,
      reconnect: false,
      pollInterval: POLL_INTERVAL,
      publishTimeout: 60_000,
    });
    await client.connect();
    if (role === 'sub') {
      const sub = client.subscribe(CHANNEL, onMessage);
      await sub.ready;
    }
    return {
      publish: (obj) => {
        client.publish(CHANNEL, obj).catch(() => {});
      },
      close: () => client.close(),
    };
  }
  if (system.kind === 'socketio') {
    ioModule ??= (await import('socket.io-client')).io;
    const socket = ioModule(url, {
      transports: [system.transport],
      forceNew: true,
      reconnection: false,
      query: { role },
      timeout: 30_000,
    });
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    if (onMessage) socket.on('msg', onMessage);
    return { publish: (obj) => socket.emit('pub', obj), close: () => socket.disconnect() };
  }
  throw new Error(`unknown kind ${system.kind}`);
}
