// Recovery through faults: every message exactly once and in order, or a `gap` — never silence.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startFaultProxy } from '../helpers/http-proxy.js';
import { client, onCleanup, startServer, waitForState } from '../helpers/server.js';
import { createServer } from '../../src/node/server/index.js';
import type { TransportName } from '../../src/adapters/types.js';
import { collector } from '../helpers/collector.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];
const fast = { minDelay: 20, maxDelay: 200, factor: 2, jitter: 0.5 };

describe.each(transports)('chaos over %s', (transport) => {
  it('delivers 2,000 messages exactly once and in order while every connection is cut again and again', async () => {
    const { server, url } = await startServer({ heartbeatInterval: 5000 });
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const c = client(`${proxy.origin}/anywire`, { transports: [transport], reconnect: fast, pollInterval: 25 });
    const col = collector<{ i: number }>();
    const sub = c.subscribe('chaos', col.handler);
    await sub.ready;

    const total = 2000;
    let cuts = 0;
    const cutter = setInterval(() => {
      proxy.cutAll();
      cuts++;
    }, 300);
    onCleanup(() => clearInterval(cutter));
    // A steady rate: 10 messages every 10 ms (under 1,000/s), so the run spans many cuts.
    for (let i = 0; i < total; i += 10) {
      for (let j = i; j < i + 10; j++) await server.publish('chaos', { i: j });
      await new Promise((r) => setTimeout(r, 10)); // pacing the publisher, not synchronising
    }
    await col.waitFor(total);
    clearInterval(cutter);

    expect(cuts).toBeGreaterThanOrEqual(5);
    expect(col.got.map((m) => m.data.i)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(col.got.map((m) => m.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
});

describe('publish retried after a lost ack', () => {
  it.each(transports)('is stored once (%s)', async (transport) => {
    let release: (() => void) | undefined;
    let calls = 0;
    const { url } = await startServer({
      authorize: ({ action }) => {
        if (action !== 'publish' || calls++ > 0) return true;
        // Hold the first authorisation while the test cuts the link: the publish is then stored
        // after its connection died, and its ack is lost.
        return new Promise<boolean>((resolve) => (release = () => resolve(true)));
      },
    });
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const publisher = client(`${proxy.origin}/anywire`, { transports: [transport], reconnect: fast, pollInterval: 25 });
    const watcher = client(url);
    const col = collector<{ n: number }>();
    await watcher.subscribe('once', col.handler).ready;
    await publisher.connect();

    const acked = publisher.publish('once', { n: 1 });
    await vi_waitFor(() => release !== undefined);
    proxy.cutAll();
    release!();
    const { offset } = await acked;
    await col.waitFor(1);
    await publisher.publish('once', { n: 2 });
    await col.waitFor(2);
    expect(offset).toBe(1);
    expect(col.got.map((m) => m.data.n)).toEqual([1, 2]);
  });
});

describe('server restart on the same port (memory broker)', () => {
  it('clients reconnect by themselves, resubscribe and report the gap', async () => {
    const first = createServer();
    const { port, url } = await first.listen(0, '127.0.0.1');
    const c = client(url, { reconnect: fast });
    const col = collector<{ n: number }>();
    const sub = c.subscribe('room', col.handler);
    await sub.ready;
    await first.publish('room', { n: 1 });
    await col.waitFor(1);

    const gap = new Promise<{ reason: string; lastOffset: number }>((resolve) => sub.once('gap', resolve));
    const resubscribed = new Promise<{ resumed: boolean }>((resolve) =>
      sub.on('subscribed', (e) => {
        if (!e.resumed) resolve(e);
      }),
    );
    await first.close();
    const second = createServer();
    await second.listen(port, '127.0.0.1');
    onCleanup(() => second.close());

    expect(await gap).toMatchObject({ reason: 'history-lost', lastOffset: 1 });
    await resubscribed;
    await second.publish('room', { n: 2 });
    await col.waitFor(2);
    expect(col.got.map((m) => m.data.n)).toEqual([1, 2]);
    expect(c.state).toBe('connected');
  });
});

describe('graceful shutdown', () => {
  it('tells clients to come back after the hinted delay', async () => {
    const first = createServer({ shutdownRetryAfter: 300 });
    const { port, url } = await first.listen(0, '127.0.0.1');
    const c = client(url, { reconnect: { minDelay: 1, maxDelay: 1, jitter: 0 } });
    await c.connect();
    const reasons: string[] = [];
    c.on('error', (e) => reasons.push(e.code));
    const reconnecting = waitForState(c, 'reconnecting');
    const closedAt = Date.now();
    await first.close();
    await reconnecting;
    const second = createServer();
    await second.listen(port, '127.0.0.1');
    onCleanup(() => second.close());
    await waitForState(c, 'connected');
    expect(reasons).toContain('SERVER_SHUTTING_DOWN');
    // The hint (300 ms) wins over the 1 ms backoff.
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(250);
  });
});

describe('heartbeats', () => {
  it.each(transports)('the client finds a silently dead %s link within about two heartbeat intervals', async (transport) => {
    const { url } = await startServer({ heartbeatInterval: 300, longPollTimeout: 250 });
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const c = client(`${proxy.origin}/anywire`, { transports: [transport], reconnect: fast, pollInterval: 50 });
    await c.connect();
    const frozenAt = Date.now();
    const lost = waitForState(c, 'reconnecting');
    proxy.freezeAll();
    await lost;
    const took = Date.now() - frozenAt;
    expect(took).toBeLessThan(4 * 300 + 2000);
    await waitForState(c, 'connected');
  });

  it('the server drops a client that stops answering pings', async () => {
    const { server, url } = await startServer({ heartbeatInterval: 200 });
    const ws = new WebSocket(url.replace(/^http/, 'ws'));
    onCleanup(() => ws.terminate());
    await new Promise((r) => ws.once('open', r));
    const connected = new Promise((r) => server.once('connection', r));
    ws.send(JSON.stringify({ t: 'connect', v: 2 }));
    await connected;
    expect(server.connectionCount).toBe(1);
    // This raw client never answers pings.
    const reason = await new Promise<string>((r) => server.once('disconnect', (e) => r(e.reason)));
    expect(reason).toMatch(/TIMEOUT/);
    expect(server.connectionCount).toBe(0);
  });
});

async function vi_waitFor(cond: () => boolean): Promise<void> {
  const { vi } = await import('vitest');
  await vi.waitFor(() => {
    if (!cond()) throw new Error('not yet');
  });
}
