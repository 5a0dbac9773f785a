// The walking skeleton end to end: a real server on an ephemeral loopback port, real Node clients
// over WebSocket, and raw `ws` sockets speaking the protocol by hand where a client would not
// misbehave on purpose.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AnywireError, createClient, type NodeClientOptions } from '../../src/node/index.js';
import { createServer, type ServerOptions } from '../../src/node/server/index.js';
import type { Client } from '../../src/core/client.js';
import { client as helperClient, onCleanup, once, startServer, waitForState } from '../helpers/server.js';

/** A WebSocket-only Node client (the ladder's other rungs are other suites' business). */
function client(url: string, options: Partial<NodeClientOptions> = {}): Client {
  if (options.WebSocket) {
    const c = createClient({ url, transports: ['websocket'], ...options });
    onCleanup(() => c.close());
    return c;
  }
  return helperClient(url, { transports: ['websocket'], ...options });
}

/** Collects a subscription's messages; `waitFor(n)` resolves once `n` have arrived. */
function collector<T = unknown>() {
  const got: { data: T; offset: number; channel: string }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    got,
    handler: (data: T, meta: { offset: number; channel: string }) => {
      got.push({ data, offset: meta.offset, channel: meta.channel });
      for (const w of waiters) if (got.length >= w.n) w.resolve();
    },
    waitFor(n: number): Promise<void> {
      if (got.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

type Frame = Record<string, unknown> & { t: string };

/** A raw `ws` socket speaking the anywire protocol by hand, recording every frame it receives. */
async function rawSocket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  onCleanup(() => ws.terminate());
  const frames: Frame[] = [];
  const waiters: { test: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = data as Buffer;
    let parsed: Frame[];
    if (isBinary) {
      const nl = buf.indexOf(10);
      parsed = [{ ...JSON.parse(buf.subarray(0, nl).toString()), b: new Uint8Array(buf.subarray(nl + 1)) }];
    } else {
      const v = JSON.parse(buf.toString());
      parsed = Array.isArray(v) ? v : [v];
    }
    for (const f of parsed) {
      frames.push(f);
      for (const w of [...waiters]) {
        if (w.test(f)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(f);
        }
      }
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    send: (frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    /** Resolves with the first frame (already received or still to come) that passes `test`. */
    next(test: (f: Frame) => boolean): Promise<Frame> {
      const seen = frames.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    async handshake(token?: string): Promise<Frame> {
      this.send(token === undefined ? { t: 'connect', v: 2 } : { t: 'connect', v: 2, token });
      return this.next((f) => f.t === 'welcome');
    },
  };
}

/** Open TCP sockets and servers of this process. */
const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;

// Every test closes what it opened (helpers' afterEach): by the end nothing may be left open, or
// the test runner would not exit cleanly.
afterAll(async () => {
  await vi.waitFor(() => expect(tcpHandles()).toBe(0), { timeout: 10_000 });
});

/** Opens a raw WebSocket and resolves with the HTTP status of a refused upgrade, or 101. */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), { headers });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

/** Listens on an ephemeral loopback port; the server and its connections close after the test. */
function listen(server: HttpServer | import('node:https').Server): Promise<number> {
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('publish and subscribe', () => {
  it('delivers a publish from one client to another, with channel and offset', async () => {
    const { url } = await startServer();
    const a = client(url);
    const b = client(url);
    const col = collector<{ text: string }>();
    await a.subscribe('chat', col.handler).ready;
    expect(a.transport).toBe('websocket');
    const ack = await b.publish('chat', { text: 'hi' });
    expect(ack).toEqual({ offset: 1 });
    await col.waitFor(1);
    expect(col.got).toEqual([{ data: { text: 'hi' }, offset: 1, channel: 'chat' }]);
  });

  it('delivers 1,000 messages in offset order with no loss', async () => {
    const { url } = await startServer();
    const a = client(url);
    const b = client(url);
    const col = collector<{ i: number }>();
    await a.subscribe('bulk', col.handler).ready;
    await b.connect();
    const total = 1000;
    const acks = await Promise.all(Array.from({ length: total }, (_, i) => b.publish('bulk', { i })));
    // One publisher on one connection: the server stores its publishes in the order sent.
    expect(acks.map((x) => x.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    await col.waitFor(total);
    expect(col.got).toHaveLength(total);
    expect(col.got.map((m) => m.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(col.got.map((m) => m.data.i)).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('server.publish reaches every subscriber', async () => {
    const { server, url } = await startServer();
    const cols = [collector(), collector(), collector()];
    await Promise.all(cols.map((col) => client(url).subscribe('news', col.handler).ready));
    expect(await server.publish('news', { headline: 'up' })).toEqual({ offset: 1 });
    await Promise.all(cols.map((col) => col.waitFor(1)));
    for (const col of cols) expect(col.got).toEqual([{ data: { headline: 'up' }, offset: 1, channel: 'news' }]);
  });

  it('server.publish works before listen()', async () => {
    const server = createServer();
    onCleanup(() => server.close());
    expect(await server.publish('early', 1)).toEqual({ offset: 1 });
    await expect(server.publish('bad channel', 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('unsubscribe stops delivery', async () => {
    const { server, url } = await startServer();
    const a = client(url);
    const b = client(url);
    const colA = collector();
    const colB = collector();
    const subA = a.subscribe('room', colA.handler);
    await subA.ready;
    await b.subscribe('room', colB.handler).ready;
    await server.publish('room', 1);
    await Promise.all([colA.waitFor(1), colB.waitFor(1)]);

    subA.unsubscribe();
    expect(subA.state).toBe('unsubscribed');
    // `a` publishes on the same socket after its unsub frame and waits for the ack: had the server
    // still counted it as a subscriber, the message would have reached `a` before the ack.
    await a.publish('room', 2);
    await server.publish('room', 3);
    await colB.waitFor(3);
    expect(colA.got.map((m) => m.data)).toEqual([1]);
    expect(colB.got.map((m) => m.data)).toEqual([1, 2, 3]);
  });

  it('a second subscription to the same channel shares the server subscription', async () => {
    const { server, url } = await startServer();
    const a = client(url);
    const one = collector();
    const two = collector();
    await a.subscribe('shared', one.handler).ready;
    await a.subscribe('shared', two.handler).ready;
    await server.publish('shared', 'x');
    await Promise.all([one.waitFor(1), two.waitFor(1)]);
    expect(server.channelCount).toBe(1);
  });
});

describe('client lifecycle', () => {
  it('queues a publish made before connecting and sends it once connected', async () => {
    const { url } = await startServer();
    const a = client(url);
    const col = collector();
    await a.subscribe('queue', col.handler).ready;
    const b = client(url, { autoConnect: false });
    expect(b.state).toBe('disconnected');
    const pending = b.publish('queue', 'early');
    await b.connect();
    expect(await pending).toEqual({ offset: 1 });
    await col.waitFor(1);
    expect(col.got[0]!.data).toBe('early');
  });

  it('can connect again after close(), resubscribing what it had', async () => {
    const { server, url } = await startServer();
    const a = client(url);
    const col = collector();
    const sub = a.subscribe('again', col.handler);
    await sub.ready;
    await server.publish('again', 1);
    await col.waitFor(1);
    const closed = new Promise<unknown>((r) => server.once('disconnect', r));
    a.close();
    await closed;
    expect(a.state).toBe('disconnected');
    await expect(a.publish('again', 'while closed')).rejects.toMatchObject({ code: 'CLOSED' });

    const resubscribed = new Promise<{ resumed: boolean }>((r) => sub.once('subscribed', r));
    await server.publish('again', 2); // published while the client was away: history covers it
    await a.connect();
    expect(await resubscribed).toEqual({ channel: 'again', resumed: true });
    await col.waitFor(2);
    expect(col.got.map((m) => m.data)).toEqual([1, 2]);
  });
});

describe('authorization and limits', () => {
  const authorize: ServerOptions['authorize'] = ({ channel, action }) =>
    !(channel.startsWith('admin') && action === 'publish') && channel !== 'secret';

  it('rejects a publish to a forbidden channel with FORBIDDEN and keeps the connection usable', async () => {
    const { url } = await startServer({ authorize });
    const a = client(url);
    const err = await a.publish('admin', { x: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnywireError);
    expect((err as AnywireError).code).toBe('FORBIDDEN');
    await expect(a.subscribe('secret').ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Subscribing to `admin` is allowed, publishing is not.
    await a.subscribe('admin').ready;
    expect(await a.publish('public', 1)).toEqual({ offset: 1 });
    expect(a.state).toBe('connected');
  });

  it('passes identity, channel and action to authorize', async () => {
    const calls: unknown[] = [];
    const { url } = await startServer({
      authenticate: ({ token }) => ({ user: token }),
      authorize: (ctx) => {
        calls.push(ctx);
        return true;
      },
    });
    const a = client(url, { token: 'ann' });
    await a.subscribe('c1').ready;
    await a.publish('c1', 1);
    expect(calls).toEqual([
      { identity: { user: 'ann' }, channel: 'c1', action: 'subscribe' },
      { identity: { user: 'ann' }, channel: 'c1', action: 'publish' },
    ]);
  });

  it('rejects an oversize publish locally with PAYLOAD_TOO_LARGE, without sending it', async () => {
    const { url } = await startServer({ maxPayload: 1024 });
    const sent: string[] = [];
    class SpyWebSocket extends WebSocket {
      override send(data: unknown, ...rest: unknown[]): void {
        sent.push(Buffer.isBuffer(data) || data instanceof Uint8Array ? '<binary>' : String(data));
        (super.send as (...a: unknown[]) => void)(data, ...rest);
      }
    }
    const a = client(url, { WebSocket: SpyWebSocket });
    await a.connect();
    await expect(a.publish('chat', 'x'.repeat(2000))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(a.publish('chat', new Uint8Array(1025))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // The limit counts UTF-8 bytes of the JSON: 1022 characters plus two quotes is exactly 1024.
    expect(await a.publish('chat', 'y'.repeat(1022))).toEqual({ offset: 1 });
    expect(await a.publish('chat', new Uint8Array(1024))).toEqual({ offset: 2 });
    expect(sent.some((s) => s.includes('xxxx'))).toBe(false);
    expect(sent.filter((s) => s === '<binary>')).toHaveLength(1);
    expect(a.state).toBe('connected');
  });

  it('the server enforces maxPayload itself (raw socket) and the connection stays usable', async () => {
    const { url } = await startServer({ maxPayload: 1024 });
    const raw = await rawSocket(url);
    const welcome = await raw.handshake();
    expect(welcome).toMatchObject({ t: 'welcome', v: 2, max: 1024, hb: expect.any(Number), sid: expect.any(String) });

    raw.send({ t: 'pub', id: 'big', ch: 'chat', d: 'x'.repeat(2000) });
    expect(await raw.next((f) => f.id === 'big')).toMatchObject({ t: 'err', code: 'PAYLOAD_TOO_LARGE', id: 'big', ch: 'chat' });

    // Binary over the limit, in the WebSocket binary form (header, "\n", bytes).
    raw.ws.send(Buffer.concat([Buffer.from('{"t":"pub","id":"bigbin","ch":"chat"}\n'), Buffer.alloc(1025)]));
    expect(await raw.next((f) => f.id === 'bigbin')).toMatchObject({ t: 'err', code: 'PAYLOAD_TOO_LARGE' });

    // Binary as base64 inside a text frame counts the decoded bytes.
    raw.send({ t: 'pub', id: 'big64', ch: 'chat', b: Buffer.alloc(1025).toString('base64') });
    expect(await raw.next((f) => f.id === 'big64')).toMatchObject({ t: 'err', code: 'PAYLOAD_TOO_LARGE' });

    raw.send({ t: 'pub', id: 'small', ch: 'chat', d: 'ok' });
    expect(await raw.next((f) => f.id === 'small')).toEqual({ t: 'ack', id: 'small', o: 1 });
    expect(raw.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe('batching of server frames', () => {
  it('answers a batch of publishes in one message of msgs, and a single publish with its msg at once', async () => {
    const { url } = await startServer();
    const raw = await rawSocket(url);
    await raw.handshake();
    raw.send({ t: 'sub', id: 1, ch: 'chat' });
    await raw.next((f) => f.t === 'subd');
    const messages: Frame[][] = [];
    raw.ws.on('message', (data: RawData) => {
      const v = JSON.parse((data as Buffer).toString());
      messages.push(Array.isArray(v) ? v : [v]);
    });

    raw.send([1, 2, 3].map((n) => ({ t: 'pub', id: `b${n}`, ch: 'chat', d: n })));
    await raw.next((f) => f.id === 'b3');
    expect(messages).toEqual([
      [1, 2, 3].map((n) => ({ t: 'msg', ch: 'chat', o: n, d: n })),
      [1, 2, 3].map((n) => ({ t: 'ack', id: `b${n}`, o: n })),
    ]);

    messages.length = 0;
    raw.send({ t: 'pub', id: 'one', ch: 'chat', d: 4 });
    await raw.next((f) => f.id === 'one');
    expect(messages).toEqual([[{ t: 'msg', ch: 'chat', o: 4, d: 4 }], [{ t: 'ack', id: 'one', o: 4 }]]);
  });
});

describe('bad input', () => {
  it('answers garbage with an error frame, closes only that socket and leaves other clients alone', async () => {
    const { server, url } = await startServer();
    const good = client(url);
    const col = collector();
    await good.subscribe('chat', col.handler).ready;

    const garbage: (string | Buffer)[] = [
      'this is not json',
      '{"t":"connect","v":1',
      '[1,2,3]',
      '{"t":"connect","v":99}',
      '{"t":"sub","id":1,"ch":"chat"}', // valid frame, but not a connect first
      Buffer.from([0xff, 0x00, 0x13, 0x37]), // binary without a header
    ];
    for (const g of garbage) {
      const raw = await rawSocket(url);
      raw.ws.send(g);
      const err = await raw.next((f) => f.t === 'err');
      expect(err).toMatchObject({ t: 'err', code: 'PROTOCOL_ERROR', msg: expect.any(String) });
      const closed = await raw.closed;
      expect(closed.code).toBe(1002);
      expect(closed.reason).toBe('PROTOCOL_ERROR');
    }

    // Garbage after a good handshake, too.
    const raw = await rawSocket(url);
    await raw.handshake();
    raw.send('{"t":"nonsense"}');
    expect(await raw.next((f) => f.t === 'err')).toMatchObject({ code: 'PROTOCOL_ERROR' });
    expect((await raw.closed).code).toBe(1002);

    // A malformed pub/sub that names an id gets its own BAD_REQUEST and the socket stays open.
    const polite = await rawSocket(url);
    await polite.handshake();
    polite.send({ t: 'pub', id: 'p1', ch: 'not a channel', d: 1 });
    expect(await polite.next((f) => f.id === 'p1')).toMatchObject({ t: 'err', code: 'BAD_REQUEST' });
    polite.send({ t: 'pub', id: 'p2', ch: 'chat', d: 1, b: 'AA==' });
    expect(await polite.next((f) => f.id === 'p2')).toMatchObject({ t: 'err', code: 'BAD_REQUEST' });
    polite.send({ t: 'ping' });
    await polite.next((f) => f.t === 'pong');

    // The well-behaved client never noticed.
    expect(good.state).toBe('connected');
    await server.publish('chat', 'still here');
    await col.waitFor(1);
    expect(col.got.map((m) => m.data)).toEqual(['still here']);
  });

  it('closes a socket that never sends connect after handshakeTimeout', async () => {
    const { url } = await startServer({ handshakeTimeout: 200 });
    const raw = await rawSocket(url);
    expect(await raw.next((f) => f.t === 'err')).toMatchObject({ code: 'TIMEOUT' });
    await raw.closed;
  });
});

describe('origin check', () => {
  it('refuses a disallowed Origin with 403 on upgrade and lets listed, same-origin and no-origin requests in', async () => {
    const { url, port } = await startServer({ allowedOrigins: ['https://app.example.com'] });
    expect(await upgradeStatus(url, { Origin: 'https://evil.example.com' })).toBe(403);
    expect(await upgradeStatus(url, { Origin: 'null' })).toBe(403);
    expect(await upgradeStatus(url, { Origin: 'https://app.example.com' })).toBe(101);
    expect(await upgradeStatus(url, { Origin: `http://127.0.0.1:${port}` })).toBe(101);
    expect(await upgradeStatus(url, {})).toBe(101);
  });

  it('refuses every cross-origin browser by default, and allows all with "*"', async () => {
    const strict = await startServer();
    expect(await upgradeStatus(strict.url, { Origin: 'https://app.example.com' })).toBe(403);
    const open = await startServer({ allowedOrigins: ['*'] });
    expect(await upgradeStatus(open.url, { Origin: 'https://app.example.com' })).toBe(101);
  });
});

describe('binary payloads', () => {
  const every = new Uint8Array(256).map((_, i) => i); // every byte value, including "\n"

  it('round-trip byte for byte as Uint8Array, from a Uint8Array and from an ArrayBuffer', async () => {
    const { url } = await startServer();
    const a = client(url);
    const b = client(url);
    const col = collector<Uint8Array>();
    await a.subscribe('bin', col.handler).ready;

    const big = new Uint8Array(60_000).map((_, i) => (i * 31) & 255);
    const offsetView = new Uint8Array(every.buffer.slice(0), 10, 20); // a view that does not start at 0
    await b.publish('bin', every);
    await b.publish('bin', big.buffer);
    await b.publish('bin', offsetView);
    await b.publish('bin', new Uint8Array(0));
    await col.waitFor(4);

    for (const m of col.got) expect(m.data).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(col.got[0]!.data)).toBe(false);
    expect([...col.got[0]!.data]).toEqual([...every]);
    expect(Buffer.compare(col.got[1]!.data, big)).toBe(0);
    expect([...col.got[2]!.data]).toEqual([...every.subarray(10, 30)]);
    expect(col.got[3]!.data.length).toBe(0);
  });

  it('server.publish of binary arrives as Uint8Array, and JSON stays JSON', async () => {
    const { server, url } = await startServer();
    const col = collector<unknown>();
    await client(url).subscribe('mixed', col.handler).ready;
    await server.publish('mixed', every.buffer);
    await server.publish('mixed', { bytes: [1, 2] });
    await col.waitFor(2);
    expect(col.got[0]!.data).toBeInstanceOf(Uint8Array);
    expect([...(col.got[0]!.data as Uint8Array)]).toEqual([...every]);
    expect(col.got[1]!.data).toEqual({ bytes: [1, 2] });
  });
});

describe('history holds what was published', () => {
  it('server.publish of a buffer the caller reuses afterwards still replays the original bytes', async () => {
    const { server, url } = await startServer();
    const raw = await rawSocket(url);
    await raw.handshake();
    raw.send({ t: 'sub', id: 1, ch: 'reuse' });
    const subd = await raw.next((f) => f.t === 'subd' && f.id === 1);

    // Node code often publishes from a pooled buffer or an ArrayBuffer it then overwrites.
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const buffer = new Uint8Array([5, 6, 7]).buffer;
    await server.publish('reuse', bytes);
    await server.publish('reuse', buffer);
    await raw.next((f) => f.t === 'msg' && f.o === 2);
    bytes.fill(0);
    new Uint8Array(buffer).fill(0);

    // Resume from before both: the replay comes from history.
    raw.send({ t: 'unsub', ch: 'reuse' });
    raw.send({ t: 'sub', id: 2, ch: 'reuse', since: { e: subd.e, o: 0 } });
    await raw.next((f) => f.t === 'subd' && f.id === 2);
    await vi.waitFor(() => expect(raw.frames.filter((f) => f.t === 'msg')).toHaveLength(4));
    const all = raw.frames.filter((f) => f.t === 'msg');
    // Live delivery, then the replay from history: the same bytes both times.
    expect(all.map((f) => [...(f.b as Uint8Array)])).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7],
      [1, 2, 3, 4],
      [5, 6, 7],
    ]);
  });
});

describe('attach()', () => {
  it('serves only its path: other routes and other upgrade listeners keep working', async () => {
    const http = createHttpServer((req, res) => {
      res.writeHead(req.url === '/hello' ? 200 : 404, { 'Content-Type': 'text/plain' });
      res.end(req.url === '/hello' ? 'hello from the app' : 'app 404');
    });
    // Another WebSocket endpoint of the host app, registered before and after anywire.
    const echo = new WebSocketServer({ noServer: true });
    const otherUpgrade =
      (path: string) => (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => {
        if (req.url !== path) return;
        echo.handleUpgrade(req, socket, head, (ws) => ws.on('message', (m) => ws.send(`${path}:${m.toString()}`)));
      };
    http.on('upgrade', otherUpgrade('/before'));
    const anywire = createServer({ path: '/rt' });
    anywire.attach(http);
    http.on('upgrade', otherUpgrade('/after'));
    const port = await listen(http);
    onCleanup(() => {
      for (const ws of echo.clients) ws.terminate();
      echo.close();
    });
    onCleanup(() => anywire.close());
    const base = `http://127.0.0.1:${port}`;

    expect(await fetchText(`${base}/hello`)).toEqual({ status: 200, body: 'hello from the app' });
    expect((await fetchText(`${base}/elsewhere`)).body).toBe('app 404');
    expect((await fetchText(`${base}/rt/client.js`)).status).toBe(200);

    for (const path of ['/before', '/after']) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
      onCleanup(() => ws.terminate());
      await once(ws, 'open');
      ws.send('ping');
      const [reply] = (await once<unknown>(ws, 'message').then((m) => [m])) as [Buffer];
      expect(reply.toString()).toBe(`${path}:ping`);
    }

    const col = collector();
    const c = client(`${base}/rt`);
    await c.subscribe('x', col.handler).ready;
    await anywire.publish('x', 'attached');
    await col.waitFor(1);

    // Closing anywire leaves the host's server running and its routes served.
    c.close();
    await anywire.close();
    expect(http.listening).toBe(true);
    expect(await fetchText(`${base}/hello`)).toEqual({ status: 200, body: 'hello from the app' });
  });
});

describe('two anywire servers on one http server', () => {
  it('closing one leaves the app and the other one working, each request answered once', async () => {
    const seen: string[] = [];
    const http = createHttpServer((req, res) => {
      seen.push(req.url!);
      res.end(`app: ${req.url}`);
    });
    const errors: unknown[] = [];
    http.on('clientError', (e) => errors.push(e));
    const a = createServer({ path: '/a' });
    const b = createServer({ path: '/b' });
    a.attach(http);
    b.attach(http);
    const port = await listen(http);
    onCleanup(() => b.close());
    onCleanup(() => a.close());
    const base = `http://127.0.0.1:${port}`;
    expect(await fetchText(`${base}/x`)).toEqual({ status: 200, body: 'app: /x' });
    expect((await fetchText(`${base}/a/client.js`)).status).toBe(200);

    await a.close();
    expect(await fetchText(`${base}/x`)).toEqual({ status: 200, body: 'app: /x' });
    // /a is the app's again; /b still anywire's.
    expect(await fetchText(`${base}/a/client.js`)).toEqual({ status: 200, body: 'app: /a/client.js' });
    expect((await fetchText(`${base}/b/client.js`)).status).toBe(200);
    expect(seen).toEqual(['/x', '/x', '/a/client.js']);
    const c = client(`${base}/b`);
    await c.subscribe('still').ready;
    expect(errors).toEqual([]);
  });
});

describe('attach() before the app adds its own handler', () => {
  it('leaves other routes to a request listener added after attach()', async () => {
    const http = createHttpServer();
    const anywire = createServer();
    anywire.attach(http);
    http.on('request', (req, res) => {
      if (req.url?.startsWith('/anywire')) return; // the app knows anywire serves that path
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`app: ${req.url}`);
    });
    const port = await listen(http);
    onCleanup(() => anywire.close());
    expect(await fetchText(`http://127.0.0.1:${port}/hello`)).toEqual({ status: 200, body: 'app: /hello' });
    expect((await fetchText(`http://127.0.0.1:${port}/anywire/client.js`)).status).toBe(200);
  });
});

describe('wss:// over https', () => {
  it('works with a self-signed certificate made at test time, and fails without trusting it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anywire-tls-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-sha256',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    const https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert });
    const anywire = createServer();
    anywire.attach(https);
    const port = await listen(https);
    onCleanup(() => anywire.close());
    const url = `https://127.0.0.1:${port}/anywire`;

    class TrustingWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { ca: cert });
      }
    }
    const a = client(url, { WebSocket: TrustingWebSocket });
    const b = client(url, { WebSocket: TrustingWebSocket });
    const col = collector<unknown>();
    await a.subscribe('secure', col.handler).ready;
    expect(a.transport).toBe('websocket');
    await b.publish('secure', { over: 'tls' });
    await b.publish('secure', new Uint8Array([1, 2, 3]));
    await col.waitFor(2);
    expect(col.got.map((m) => m.data)).toEqual([{ over: 'tls' }, new Uint8Array([1, 2, 3])]);

    // Without the CA the certificate is refused: proof that this really was TLS.
    const untrusting = client(url, { reconnect: false, connectTimeout: 5000 });
    const err = (await untrusting.connect().catch((e: unknown) => e)) as AnywireError;
    expect(err.code).toBe('TRANSPORTS_EXHAUSTED');
  });
});

describe('authentication and lifecycle events', () => {
  const authenticate: ServerOptions['authenticate'] = ({ token }) => (token === 'good' ? { id: 'user-1' } : null);

  it('rejects connect() with UNAUTHORIZED and stops when a static token is refused', async () => {
    const { url, server } = await startServer({ authenticate });
    const bad = client(url, { token: 'bad' });
    const err = await bad.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnywireError);
    expect((err as AnywireError).code).toBe('UNAUTHORIZED');
    expect(bad.state).toBe('disconnected');

    const throwing = await startServer({
      authenticate: () => {
        throw new Error('token expired');
      },
    });
    // The client gets a fixed message; what the hook threw is for the server's `error` event.
    const reported = new Promise<Error>((r) => throwing.server.once('error', r));
    const c = client(throwing.url, { token: 'x' });
    await expect(c.connect()).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: 'authentication failed' });
    expect((await reported).message).toBe('token expired');

    const good = client(url, { token: 'good' });
    const connected = new Promise<{ identity: unknown; transport: string }>((r) => server.once('connection', r));
    await good.connect();
    expect(await connected).toMatchObject({ identity: { id: 'user-1' }, transport: 'websocket' });
  });

  it('emits connection and disconnect with the same id and a string reason', async () => {
    const { url, server } = await startServer();
    const connections: { id: string; identity: unknown; transport: string }[] = [];
    server.on('connection', (e) => connections.push(e));
    const c = client(url);
    await c.connect();
    await vi.waitFor(() => expect(connections).toHaveLength(1));
    expect(connections[0]).toEqual({ id: expect.any(String), identity: null, transport: 'websocket' });
    expect(server.connectionCount).toBe(1);

    const disconnected = new Promise<{ id: string; reason: string }>((r) => server.once('disconnect', r));
    c.close();
    const d = await disconnected;
    expect(d.id).toBe(connections[0]!.id);
    expect(typeof d.reason).toBe('string');
    expect(d.reason.length).toBeGreaterThan(0);
    expect(server.connectionCount).toBe(0);
  });

  it('server.close() tells clients to reconnect, and close() on both sides leaves nothing open', async () => {
    // Sockets of earlier tests may still be finishing their close handshakes: start from none.
    await vi.waitFor(() => expect(tcpHandles()).toBe(0), { timeout: 10_000 });
    const before = tcpHandles();

    const server = createServer();
    const { url } = await server.listen(0, '127.0.0.1');
    const c = createClient({ url, transports: ['websocket'], reconnect: { minDelay: 50, maxDelay: 100 } });
    const col = collector();
    await c.subscribe('bye', col.handler).ready;
    expect(server.connectionCount).toBe(1);
    expect(tcpHandles()).toBeGreaterThan(before);

    const errors: AnywireError[] = [];
    c.on('error', (e) => errors.push(e));
    const reconnecting = waitForState(c, 'reconnecting');
    await server.close();
    await reconnecting;
    expect(server.connectionCount).toBe(0);
    c.close();
    expect(c.state).toBe('disconnected');

    await vi.waitFor(() => expect(tcpHandles()).toBe(before), { timeout: 10_000 });
    // The port is really closed.
    await expect(fetchText(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
