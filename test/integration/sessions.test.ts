// One session per client on every transport (docs/protocol.md, version 2): what a session holds
// between requests, its rate budget, its end, and the server's isolation from listeners that throw.
// A real server on port 0, real Node clients, every transport.
import { describe, expect, it, vi } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import type { Client } from '../../src/core/client.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { client as makeClient, onCleanup, startServer } from '../helpers/server.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

function client(url: string, transport: TransportName, options: Parameters<typeof makeClient>[1] = {}): Client {
  return makeClient(url, { transports: [transport], pollInterval: 50, ...options });
}

describe.each(transports)('sessions on %s', (transport) => {
  it('rateLimit 5 holds: a faster publisher is slowed to about 5 stores a second, and none is refused', { timeout: 30_000 }, async () => {
    const { url } = await startServer({ rateLimit: 5 });
    // What the broker stored, and when, as a WebSocket subscriber sees it live.
    const watcher = client(url, 'websocket');
    await watcher.connect();
    const storedAt: number[] = [];
    await watcher.subscribe('rl', () => storedAt.push(Date.now())).ready;
    const c = client(url, transport);
    await c.connect();
    const started = Date.now();
    // 20 publishes at once (a ping of an HTTP transport costs budget too).
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => c.publish('rl', i)));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await vi.waitFor(() => expect(storedAt).toHaveLength(20));
    // A full bucket of 5 at once, then 5 per second: at most 5 + 5 in any one-second window.
    const perWindow = storedAt.map((t) => storedAt.filter((u) => u >= t && u < t + 1000).length);
    expect(Math.max(...perWindow)).toBeLessThanOrEqual(10);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
  });

  it('listeners that throw on connection and disconnect are reported, and the server keeps serving', async () => {
    const { server, url } = await startServer();
    const errors: Error[] = [];
    server.on('connection', () => {
      throw new Error('app bug on connection');
    });
    server.on('disconnect', () => {
      throw new Error('app bug on disconnect');
    });
    server.on('error', (err) => errors.push(err));
    let later = 0;
    server.on('connection', () => later++); // a listener after the throwing one still runs
    const first = client(url, transport);
    await first.connect();
    first.close();
    await vi.waitFor(
      () =>
        expect(errors.map((e) => e.message)).toEqual([
          expect.stringContaining('app bug on connection'),
          expect.stringContaining('app bug on disconnect'),
        ]),
      { timeout: 5000 },
    );
    const second = client(url, transport);
    await second.connect();
    const got: number[] = [];
    await second.subscribe<number>('still', (n) => got.push(n)).ready;
    await server.publish('still', 7);
    await vi.waitFor(() => expect(got).toEqual([7]));
    expect(later).toBe(2);
  });

  it('replays a history larger than maxBufferedBytes in pages, every message once and in order', { timeout: 30_000 }, async () => {
    const { server, port } = await startServer({ maxBufferedBytes: 16 * 1024 });
    const proxy = await startTcpProxy(port);
    onCleanup(() => proxy.close());
    const c = client(`http://127.0.0.1:${proxy.port}${server.path}`, transport, { reconnect: { minDelay: 10, maxDelay: 50 } });
    await c.connect();
    const got: number[] = [];
    const gaps: string[] = [];
    const sub = c.subscribe<{ i: number }>('paged', (m) => got.push(m.i));
    sub.on('gap', (e) => gaps.push(e.reason));
    await sub.ready;
    // The client is cut off while 400 messages of ~120 bytes (48 KB, three times the budget) are published.
    proxy.cutAll();
    for (let i = 1; i <= 400; i++) await server.publish('paged', { i, pad: 'x'.repeat(100) });
    await vi.waitFor(() => expect(got).toHaveLength(400), { timeout: 20_000, interval: 50 });
    expect(got).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(gaps).toEqual([]);
  });

  it('frees the session of a client that vanished within about two heartbeats', async () => {
    const hb = 400;
    const { server, port } = await startServer({ heartbeatInterval: hb });
    const proxy = await startTcpProxy(port);
    onCleanup(() => proxy.close());
    const disconnects: { reason: string }[] = [];
    server.on('disconnect', (e) => disconnects.push(e));
    const c = client(`http://127.0.0.1:${proxy.port}${server.path}`, transport, { reconnect: false });
    await c.connect();
    await c.subscribe('gone', () => {}).ready;
    expect([server.connectionCount, server.channelCount]).toEqual([1, 1]);
    // The network goes: no goodbye, no request, no socket (new connections are refused).
    proxy.setTargets();
    proxy.cutAll();
    const vanished = Date.now();
    await vi.waitFor(() => expect([server.connectionCount, server.channelCount]).toEqual([0, 0]), { timeout: 6 * hb + 2000, interval: 20 });
    // Two heartbeats after the last word (a sweep tick later), or a stream's reopen grace (2 s).
    expect(Date.now() - vanished).toBeLessThan(transport === 'sse' ? 2000 + 4 * hb : 4 * hb);
    expect(disconnects).toHaveLength(1);
  });
});

// Thirty seconds each: the four transports side by side in one test.
describe('a quiet channel', () => {
  it(
    'a caught-up subscriber (history ttl 3 s) gets no gap over 30 s on any transport, and the next message exactly once',
    { timeout: 60_000 },
    async () => {
      const { server, url } = await startServer({ history: { ttl: 3000 } });
      const subscribers = await Promise.all(
        transports.map(async (transport) => {
          const c = client(url, transport);
          await c.connect();
          const got: number[] = [];
          const gaps: string[] = [];
          const sub = c.subscribe<number>('quiet', (n) => got.push(n));
          sub.on('gap', (e) => gaps.push(`${transport}: ${e.reason}`));
          await sub.ready;
          return { transport, got, gaps };
        }),
      );
      await server.publish('quiet', 1);
      await vi.waitFor(() => expect(subscribers.map((s) => s.got)).toEqual(transports.map(() => [1])), { timeout: 5000 });
      // 30 s of silence: the history expires after 3 s, the memory broker sweeps every 10 s, and
      // the HTTP clients poll (or hold a poll) all along.
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        await new Promise((r) => setTimeout(r, 1000));
        expect(subscribers.flatMap((s) => s.gaps)).toEqual([]);
      }
      await server.publish('quiet', 2);
      await server.publish('quiet', 3); // a sentinel: nothing else was on its way
      await vi.waitFor(() => expect(subscribers.map((s) => s.got)).toEqual(transports.map(() => [1, 2, 3])), { timeout: 5000 });
      expect(subscribers.flatMap((s) => s.gaps)).toEqual([]);
    },
  );
});

describe.each(['websocket', 'sse'] as TransportName[])('default options on %s', (transport) => {
  it('100,000 publishes at up to 1,000 in flight all arrive, in order, none refused', { timeout: 120_000 }, async () => {
    const { url } = await startServer();
    const publisher = client(url, transport);
    const subscriber = client(url, transport);
    await Promise.all([publisher.connect(), subscriber.connect()]);
    const total = 100_000;
    let received = 0;
    let inOrder = true;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    await subscriber.subscribe<number>('flood', (n, meta) => {
      if (n !== received || meta.offset !== received + 1) inOrder = false;
      if (++received === total) done();
    }).ready;
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const n = next++;
        await publisher.publish('flood', n).catch((e: { code?: string }) => errors.push(e.code ?? 'error'));
      }
    };
    // 1,000 workers: up to 1,000 publishes in flight, each next one as soon as one is acked.
    await Promise.all(Array.from({ length: 1000 }, worker));
    await all;
    expect(errors).toEqual([]);
    expect(received).toBe(total);
    expect(inOrder).toBe(true);
  });
});
