// What only the HTTP transports (SSE, long polling, polling) must prove: sessions bound to a signed
// id, resources freed when a client goes away, bad input refused without harm, long-poll timeouts,
// SSE heartbeats, CORS. Raw fetch speaks the HTTP endpoints by hand where a client would not
// misbehave on purpose; real clients prove the rest.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/core/client.js';
import { createServer, type AnywireServer, type ServerOptions } from '../../src/node/server/index.js';
import { client as makeClient, onCleanup, startServer } from '../helpers/server.js';
import { comments, openStream, ping, sseReader, welcomeSid } from '../helpers/sse-reader.js';

type HttpTransport = 'sse' | 'long-polling' | 'polling';
const httpTransports: HttpTransport[] = ['sse', 'long-polling', 'polling'];
const endpoint: Record<HttpTransport, string> = { sse: 'sse', 'long-polling': 'long-poll', polling: 'poll' };

function client(url: string, transport: HttpTransport, options: Parameters<typeof makeClient>[1] = {}): Client {
  return makeClient(url, { transports: [transport], pollInterval: 50, ...options });
}

/** A POST with a JSON (or raw text) body; aborted after the test. */
async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  const ac = new AbortController();
  onCleanup(() => ac.abort());
  signal?.addEventListener('abort', () => ac.abort());
  return fetch(`${url}/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: ac.signal,
  });
}

/** A fresh session id for `transport`, obtained the way its client does. */
async function sessionId(url: string, transport: HttpTransport): Promise<string> {
  if (transport !== 'sse') {
    const res = await post(url, 'connect', { t: 'connect', v: 2, transport });
    expect(res.status).toBe(200);
    return ((await res.json()) as { sid: string }[])[0]!.sid;
  }
  const ac = new AbortController();
  const res = await post(url, 'sse', { connect: { t: 'connect', v: 2 } }, {}, ac.signal);
  const sse = sseReader(res);
  await sse.until(() => sse.items.some((i) => i.kind === 'event'));
  ac.abort();
  const first = sse.items.find((i) => i.kind === 'event') as unknown as { frames: { t: string; sid: string }[] };
  expect(first.frames[0]!.t).toBe('welcome');
  return first.frames[0]!.sid;
}

describe.each(httpTransports)('%s over HTTP', (transport) => {
  it('frees the session of an abandoned client within about two heartbeats', async () => {
    const { server, url } = await startServer({ heartbeatInterval: 400 });
    expect([server.connectionCount, server.channelCount]).toEqual([0, 0]);
    const sid = await sessionId(url, transport);
    const gone = new AbortController();
    const subs = [
      { id: 1, ch: 'left-a' },
      { id: 2, ch: 'left-b' },
    ];
    const res = await post(url, endpoint[transport], { sid, subs }, {}, gone.signal);
    expect(res.status).toBe(200);
    if (transport === 'sse') {
      const sse = sseReader(res);
      await sse.until(() => sse.items.length > 0);
    } else {
      // The poll answered at once (two subd frames); the session keeps its subscriptions between polls.
      const frames = (await res.json()) as { t: string; ch: string; e: string; o: number }[];
      expect(frames.map((f) => f.t)).toEqual(['subd', 'subd']);
      if (transport === 'long-polling') {
        const held = frames.map((f, i) => ({ id: i + 1, ch: f.ch, since: { e: f.e, o: f.o }, q: true }));
        void post(url, 'long-poll', { sid, subs: held }, {}, gone.signal).catch(() => {});
      }
    }
    expect([server.connectionCount, server.channelCount]).toEqual([1, 2]);
    // The client vanishes: its sockets close without a goodbye.
    const vanished = Date.now();
    gone.abort();
    await vi.waitFor(() => expect([server.connectionCount, server.channelCount]).toEqual([0, 0]), { timeout: 5000, interval: 20 });
    // Two heartbeats after its last request (or the reopen grace of a stream), and a sweep tick.
    expect(Date.now() - vanished).toBeLessThan(3 * 400 + 2000);
  });

  it('frees everything when a real client closes, and announces the disconnect', async () => {
    const { server, url } = await startServer();
    const c = client(url, transport);
    await c.connect();
    await Promise.all([c.subscribe('x').ready, c.subscribe('y').ready]);
    const disconnect = new Promise<{ reason: string }>((resolve) => server.once('disconnect', resolve));
    c.close();
    expect((await disconnect).reason).toMatch(/closed/);
    await vi.waitFor(() => expect([server.connectionCount, server.channelCount]).toEqual([0, 0]));
  });

  it('refuses forged, guessed, tampered, foreign and expired session ids with SESSION_INVALID', async () => {
    const { url } = await startServer({ secret: 'server-a-secret-server-a-secret-server-a' });
    const { url: otherUrl } = await startServer({ secret: 'server-b-secret-server-b-secret-server-b' });
    const { url: shortUrl } = await startServer({ secret: 'server-a-secret-server-a-secret-server-a', sessionTtl: 150 });
    const valid = await sessionId(url, transport);
    const [, payload, signature] = /^v1\.([^.]+)\.(.+)$/.exec(valid)!;
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, i: { id: 'admin' } })).toString('base64url');
    const guessedPayload = Buffer.from(JSON.stringify({ s: crypto.randomUUID(), i: null, x: Date.now() + 1e9 })).toString('base64url');
    const refused = {
      forged: 'not-a-session',
      guessed: `v1.${guessedPayload}.${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')}`,
      tampered: `v1.${tamperedPayload}.${signature}`,
      foreign: await sessionId(otherUrl, transport),
      expired: await sessionId(shortUrl, transport),
    };
    await vi.waitFor(async () => {
      const res = await post(shortUrl, 'send', { sid: refused.expired, frames: [] });
      expect(res.status).toBe(401);
    });
    for (const [kind, sid] of Object.entries(refused)) {
      for (const path of [endpoint[transport], 'send']) {
        const body = path === 'send' ? { sid, frames: [{ t: 'ping' }] } : { sid, subs: [] };
        const res = await post(url, path, body);
        expect({ kind, path, status: res.status }).toEqual({ kind, path, status: 401 });
        expect(await res.json()).toMatchObject({ code: 'SESSION_INVALID' });
      }
    }
    // The genuine id still works.
    const ok = await post(url, 'send', { sid: valid, frames: [{ t: 'ping' }] });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual([{ t: 'pong' }]);
  });

  it('starts a new session when its id expires, and loses nothing', async () => {
    const { server, url } = await startServer({ sessionTtl: 400 });
    const sessions = new Set<string>();
    server.on('connection', (e) => sessions.add(e.id));
    const c = client(url, transport);
    await c.connect();
    const got: number[] = [];
    await c.subscribe('ttl', (n: number) => got.push(n)).ready;
    await server.publish('ttl', 1);
    await vi.waitFor(() => expect(got).toEqual([1]));
    const first = [...sessions];
    // A probe id issued after the client's expires after it: once the probe is refused, so is the
    // client's. Its next request (a poll, or the stream reopened for a new subscription) gets 401;
    // it reconnects and resubscribes from its offsets.
    const probe = await sessionId(url, transport);
    await vi.waitFor(async () => {
      const res = await post(url, 'send', { sid: probe, frames: [] });
      expect(res.status).toBe(401);
    });
    await server.publish('ttl', 2);
    const later: string[] = [];
    const sub2 = c.subscribe('ttl-2', (s: string) => later.push(s));
    await vi.waitFor(() => expect(sessions.size).toBeGreaterThan(first.length), { timeout: 10_000 });
    await sub2.ready;
    await server.publish('ttl', 3);
    await server.publish('ttl-2', 'after');
    await vi.waitFor(() => {
      expect(got).toEqual([1, 2, 3]);
      expect(later).toEqual(['after']);
    });
  });

  it('answers oversize and malformed bodies with 413 and 400, and keeps serving', async () => {
    const { url } = await startServer({ maxPayload: 1024 });
    const sid = await sessionId(url, transport);
    const big = await post(url, 'send', { sid, frames: [{ t: 'pub', id: 'p1', ch: 'a', d: 'x'.repeat(2 * 1024 * 1024) }] });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    const path = endpoint[transport];
    const bad: [string, string | object][] = [
      [path, 'not json'],
      [path, {}],
      [path, { sid: 5, subs: [] }],
      [path, { sid, subs: [{ id: 1, ch: 'bad channel!' }] }],
      [path, { sid, subs: 'all' }],
      ['send', { sid, frames: [{ t: 'nope' }] }],
      ['send', { sid, frames: 'x' }],
      ['connect', { t: 'connect', v: 1, transport: 'polling' }],
      ['connect', '[1,2,3]'],
    ];
    for (const [p, body] of bad) {
      const res = await post(url, p, body);
      expect({ p, body, status: res.status }).toEqual({ p, body, status: 400 });
      expect(await res.json()).toMatchObject({ code: 'BAD_REQUEST', message: expect.any(String) });
    }
    // A pub too large for maxPayload but within the body limit is refused per frame, with its id.
    const frameTooBig = await post(url, 'send', { sid, frames: [{ t: 'pub', id: 'p2', ch: 'a', d: 'x'.repeat(2000) }] });
    expect(await frameTooBig.json()).toEqual([expect.objectContaining({ t: 'err', id: 'p2', code: 'PAYLOAD_TOO_LARGE' })]);
    expect((await fetch(`${url}/${path}`)).status).toBe(405);
    expect((await post(url, 'nowhere', {})).status).toBe(404);
    // A flood of bad requests: every one refused with a 4xx, none answered with a 5xx.
    const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => post(url, i % 2 ? 'send' : path, i % 3 ? '{' : { sid: 'x' })));
    expect(flood.every((r) => r.status >= 400 && r.status < 500)).toBe(true);
    await Promise.all(flood.map((r) => r.text()));
    // And the server still serves real clients.
    const c = client(url, transport);
    await c.connect();
    const got: string[] = [];
    await c.subscribe('a', (s: string) => got.push(s)).ready;
    await c.publish('a', 'fine');
    await vi.waitFor(() => expect(got).toEqual(['fine']));
  });

  it('loses nothing while subscriptions change under a steady stream of messages', async () => {
    const { server, url } = await startServer();
    const c = client(url, transport);
    await c.connect();
    const got: number[] = [];
    await c.subscribe('steady', (n: number) => got.push(n)).ready;
    // Publish 300 messages while subscribing to ten more channels one by one: every change aborts
    // the poll (or reopens the stream) in flight, and the cursor replays whatever that cut off.
    const publishing = (async () => {
      for (let i = 1; i <= 300; i++) {
        await server.publish('steady', i);
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    const subs = [];
    for (let k = 0; k < 10; k++) {
      subs.push(c.subscribe(`extra-${k}`).ready);
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([publishing, ...subs]);
    await vi.waitFor(() => expect(got).toHaveLength(300), { timeout: 20_000 });
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(c.state).toBe('connected');
  });

  it('answers CORS preflights and errors for an allowed origin, and nothing for another', async () => {
    const allowed = 'https://app.example';
    const { url } = await startServer({ allowedOrigins: [allowed] });
    const path = endpoint[transport];
    const preflight = await fetch(`${url}/${path}`, {
      method: 'OPTIONS',
      headers: { Origin: allowed, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(allowed);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(preflight.headers.get('access-control-expose-headers')).toBe('Retry-After');
    // Error responses carry the headers too, so the browser shows the real error.
    for (const [body, status] of [
      ['nope', 400],
      [{ sid: 'forged', subs: [] }, 401],
    ] as const) {
      const res = await post(url, path, body, { Origin: allowed });
      expect(res.status).toBe(status);
      expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    }
    const sid = await sessionId(url, transport);
    const ok = await post(url, 'send', { sid, frames: [{ t: 'ping' }] }, { Origin: allowed });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
    // Another origin: refused, and without a single CORS header.
    const evil = 'https://evil.example';
    const refusedPreflight = await fetch(`${url}/${path}`, {
      method: 'OPTIONS',
      headers: { Origin: evil, 'Access-Control-Request-Method': 'POST' },
    });
    const refused = await post(url, path, { sid, subs: [] }, { Origin: evil });
    for (const res of [refusedPreflight, refused]) {
      expect(res.status).toBe(403);
      expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    expect(await refused.json()).toMatchObject({ code: 'FORBIDDEN' });
    // '*' allows every origin, never with credentials.
    const { url: openUrl } = await startServer({ allowedOrigins: ['*'] });
    const open = await post(openUrl, path, 'nope', { Origin: evil });
    expect(open.headers.get('access-control-allow-origin')).toBe('*');
    expect(open.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('calls authorize once per session and channel, not once per request', async () => {
    const asked: string[] = [];
    const { server, url } = await startServer({
      authorize: ({ channel, action }) => {
        asked.push(`${action}:${channel}`);
        return true;
      },
    });
    const c = client(url, transport);
    await c.connect();
    const got: number[] = [];
    await c.subscribe('cached', (n: number) => got.push(n)).ready;
    for (let i = 1; i <= 5; i++) {
      await c.publish('cached', i);
      await server.publish('cached', -i);
    }
    await vi.waitFor(() => expect(got).toHaveLength(10));
    expect(asked.filter((a) => a === 'subscribe:cached')).toHaveLength(1);
    expect(asked.filter((a) => a === 'publish:cached')).toHaveLength(1);
  });
});

// Polls answer in bounded parts. SSE is not answered in parts: its bound is the slow-consumer cut.
describe.each(['long-polling', 'polling'] as const)('%s answers', (transport) => {
  it('bounds what one answer holds; the rest follows from the advanced cursor, in order', async () => {
    // 8 KB per answer at most; 300 messages of ~100 bytes replayed after a reconnect-like gap.
    const { server, url } = await startServer({ maxBufferedBytes: 8 * 1024 });
    const sid = await sessionId(url, transport);
    const path = endpoint[transport];
    const first = post(url, path, { sid, subs: [{ id: 1, ch: 'big' }] });
    const [subd] = (await (await first).json()) as { e: string; o: number }[];
    let cursor = { id: 1, ch: 'big', since: { e: subd!.e, o: subd!.o }, q: true };
    for (let i = 1; i <= 300; i++) await server.publish('big', { i, pad: 'x'.repeat(80) });
    const offsets: number[] = [];
    let answers = 0;
    while (offsets.length < 300 && answers < 300) {
      const res = await post(url, path, { sid, subs: [cursor] });
      const frames = (await res.json()) as { t: string; o: number }[];
      answers++;
      for (const f of frames) if (f.t === 'msg') offsets.push(f.o);
      if (offsets.length) cursor = { ...cursor, since: { e: cursor.since.e, o: offsets.at(-1)! } };
    }
    expect(offsets).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(answers).toBeGreaterThan(2);
  });
});

describe('POST /send', () => {
  it('holds a POST over the rate budget until the budget refills, and answers every frame', async () => {
    const { url } = await startServer({ rateLimit: 5 });
    const sid = await sessionId(url, 'polling');
    const frames = [
      ...Array.from({ length: 8 }, (_, i) => ({ t: 'pub', id: `p${i}`, ch: 'rl', d: i })),
      { t: 'ping' },
      { t: 'ping' },
      { t: 'sub', id: 7, ch: 'rl' },
    ];
    const started = Date.now();
    const res = await post(url, 'send', { sid, frames });
    const answers = (await res.json()) as { t: string; code?: string; id?: string | number }[];
    // 5 frames at once, the other 6 at 5 per second: slowed, none refused.
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(answers.filter((a) => a.t === 'ack')).toHaveLength(8);
    expect(answers.filter((a) => a.t === 'pong')).toHaveLength(2);
    expect(answers.filter((a) => a.t === 'err')).toEqual([]);
  });

  it('refuses with RATE_LIMITED only the frames past the bounded backlog', async () => {
    const { url } = await startServer({ rateLimit: 50 });
    const sid = await sessionId(url, 'polling');
    const frames = Array.from({ length: 200 }, (_, i) => ({ t: 'pub', id: `p${i}`, ch: 'rl', d: i }));
    const answers = (await (await post(url, 'send', { sid, frames })).json()) as { t: string; code?: string; id?: string }[];
    // 50 at once (and what the bucket refilled meanwhile), a backlog of two seconds' budget (100),
    // the rest refused with a retry hint: the last ones, in order.
    const acked = answers.filter((a) => a.t === 'ack').map((a) => a.id);
    expect(acked.length).toBeGreaterThanOrEqual(150);
    expect(acked.length).toBeLessThan(160);
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => `p${i}`));
    const refused = answers.filter((a) => a.t === 'err');
    expect(refused.map((a) => a.id)).toEqual(Array.from({ length: 200 - acked.length }, (_, i) => `p${acked.length + i}`));
    expect(refused.every((a) => a.code === 'RATE_LIMITED')).toBe(true);
  });
});

describe('long polling', () => {
  it('answers a poll with an empty batch at the timeout, and the client polls again', async () => {
    const server = createServer({ longPollTimeout: 150 });
    const http = createHttpServer();
    server.attach(http);
    let polls = 0;
    // No listener sees anywire's requests (attach.ts), so count where the http server emits them.
    const emit = http.emit;
    http.emit = function (this: typeof http, event: string, ...args: unknown[]) {
      if (event === 'request' && (args[0] as { url?: string }).url?.endsWith('/long-poll')) polls++;
      return Reflect.apply(emit, this, [event, ...args]) as boolean;
    } as typeof http.emit;
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onCleanup(async () => {
      await server.close();
      await new Promise((resolve) => http.close(resolve));
    });
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/anywire`;
    const sid = await sessionId(url, 'long-polling');
    const started = Date.now();
    const res = await post(url, 'long-poll', { sid, subs: [] });
    expect(await res.json()).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    // A real client keeps polling through several timeouts and stays connected.
    const c = client(url, 'long-polling');
    await c.connect();
    const got: string[] = [];
    await c.subscribe('quiet', (s: string) => got.push(s)).ready;
    const before = polls;
    await vi.waitFor(() => expect(polls).toBeGreaterThanOrEqual(before + 3), { timeout: 10_000 });
    expect(c.state).toBe('connected');
    await server.publish('quiet', 'finally');
    await vi.waitFor(() => expect(got).toEqual(['finally']));
  });

  it('answers a held poll at the timeout, and frees the session of a client that vanished after it', async () => {
    const { server, url } = await startServer({ longPollTimeout: 300, heartbeatInterval: 300 });
    const sid = await sessionId(url, 'long-polling');
    const first = await post(url, 'long-poll', { sid, subs: [{ id: 1, ch: 'v' }] });
    const [subd] = (await first.json()) as { e: string; o: number }[];
    const held = post(url, 'long-poll', { sid, subs: [{ id: 1, ch: 'v', since: { e: subd!.e, o: subd!.o }, q: true }] });
    await vi.waitFor(() => expect(server.channelCount).toBe(1));
    expect(await (await held).json()).toEqual([]);
    await vi.waitFor(() => expect([server.connectionCount, server.channelCount]).toEqual([0, 0]), { timeout: 3000, interval: 20 });
  });

  it('answers a second poll of the same session by ending the first', async () => {
    const { server, url } = await startServer({ longPollTimeout: 20_000 });
    const sid = await sessionId(url, 'long-polling');
    const [subd] = (await (await post(url, 'long-poll', { sid, subs: [{ id: 1, ch: 'p' }] })).json()) as { e: string; o: number }[];
    const cursor = [{ id: 1, ch: 'p', since: { e: subd!.e, o: subd!.o }, q: true }];
    const firstDone = post(url, 'long-poll', { sid, subs: cursor }).then((r) => r.json());
    await vi.waitFor(() => expect(server.channelCount).toBe(1)); // the first poll is held
    // The second one replaces the first, which answers at once with an empty batch.
    const second = new AbortController();
    void post(url, 'long-poll', { sid, subs: [] }, {}, second.signal).catch(() => {});
    expect(await firstDone).toEqual([]);
    second.abort();
  });
});

describe('SSE', () => {
  it('sends the anti-buffering headers, a first event at once, heartbeat comments and event ids', async () => {
    const { server, url } = await startServer({ heartbeatInterval: 200 });
    const res = await post(url, 'sse', { connect: { t: 'connect', v: 2 } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const sse = sseReader(res, () => void ping(url, welcomeSid(sse)));
    await sse.until(() => sse.items.length > 0);
    expect(sse.items[0]).toMatchObject({ kind: 'event', id: '1', frames: [{ t: 'welcome', hb: 200 }] });
    // Six heartbeats, three times the silence after which a stream is ended: the client's pings by
    // POST (it cannot answer on the stream) keep it.
    await sse.until(() => comments(sse) >= 6);
    expect(sse.ended).toBe(false);
    expect(server.connectionCount).toBe(1);
  });

  it('ends a stream whose client never answers its heartbeats with TIMEOUT, after at most three', async () => {
    const { server, url } = await startServer({ heartbeatInterval: 100 });
    const connected = new Promise<string>((resolve) => server.once('connection', (e) => resolve(e.id)));
    const { sse } = await openStream(url, false);
    const id = await connected;
    const gone = new Promise<string>((resolve) => server.on('disconnect', (e) => e.id === id && resolve(e.reason)));
    await sse.until(() => sse.ended);
    expect(await gone).toBe('TIMEOUT');
    const last = sse.items.at(-1) as { frames: Record<string, unknown>[] };
    expect(last.frames.at(-1)).toMatchObject({ t: 'err', code: 'TIMEOUT' });
    // Silent for more than two intervals: the wheel's third tick at the latest ends it.
    expect(comments(sse)).toBeLessThanOrEqual(3);
    expect(server.connectionCount).toBe(0);
  });

  it('ends a stream when its session id expires, with SESSION_INVALID', async () => {
    const { url } = await startServer({ heartbeatInterval: 200, sessionTtl: 1000 });
    const { sse } = await openStream(url, true);
    await sse.until(() => sse.ended);
    const last = sse.items.at(-1) as { frames: Record<string, unknown>[] };
    expect(last.frames.at(-1)).toMatchObject({ t: 'err', code: 'SESSION_INVALID' });
  });

  it('ends open streams with SERVER_SHUTTING_DOWN and a retry hint on server.close()', async () => {
    const server = createServer({ shutdownRetryAfter: 250 });
    const { url } = await server.listen(0, '127.0.0.1');
    const res = await post(url, 'sse', { connect: { t: 'connect', v: 2 } });
    const sse = sseReader(res);
    await sse.until(() => sse.items.length > 0);
    await server.close();
    await sse.until(() => sse.ended);
    const last = sse.items.at(-1) as { frames: Record<string, unknown>[] };
    expect(last.frames.at(-1)).toMatchObject({ t: 'err', code: 'SERVER_SHUTTING_DOWN', retry: 250 });
  });

  it('keeps one connection for a session across stream reopens', async () => {
    const { server, url } = await startServer();
    const events: string[] = [];
    server.on('connection', () => events.push('connection'));
    server.on('disconnect', () => events.push('disconnect'));
    const c = client(url, 'sse');
    await c.connect();
    for (const ch of ['r1', 'r2', 'r3']) await c.subscribe(ch).ready;
    expect(events).toEqual(['connection']);
    expect(server.connectionCount).toBe(1);
  });
});

/** Keeps the type import used when a suite above is skipped. */
export type { AnywireServer, ServerOptions };
