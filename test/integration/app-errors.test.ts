// Application code cannot break delivery, over real transports and real cuts: every listener and
// handler the app gives the client throws on every call, a proxy cuts every connection again and
// again, and the subscriber still gets every message exactly once and in order.
import { describe, expect, it } from 'vitest';
import type { AnywireError } from '../../src/core/errors.js';
import type { TransportName } from '../../src/core/transport.js';
import { collector } from '../helpers/collector.js';
import { startFaultProxy } from '../helpers/http-proxy.js';
import { client, onCleanup, startServer } from '../helpers/server.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];
const fast = { minDelay: 20, maxDelay: 200, factor: 2, jitter: 0.5 };

describe.each(transports)('throwing app code over %s', (transport) => {
  it('loses nothing through cuts: every message exactly once and in order', async () => {
    const { server, url } = await startServer({ heartbeatInterval: 5000 });
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const c = client(`${proxy.origin}/anywire`, { transports: [transport], reconnect: fast, pollInterval: 25 });
    const reported: AnywireError[] = [];
    // The error listener records (in Node a throwing one would be rethrown as an uncaught
    // exception, by design: see docs/browser.md); every other listener throws on every call.
    c.on('error', (e) => {
      if (e.code === 'LISTENER_ERROR') reported.push(e);
    });
    const boom = (what: string) => () => {
      throw new Error(`${what} listener bug`);
    };
    c.on('state', boom('state'));
    c.on('transport', boom('transport'));
    const col = collector<{ i: number }>();
    const sub = c.subscribe<{ i: number }>('app-bugs', (data, meta) => {
      col.handler(data, meta);
      throw new Error('handler bug');
    });
    sub.on('subscribed', boom('subscribed'));
    sub.on('gap', boom('gap'));
    await sub.ready;

    const total = 600;
    let cuts = 0;
    const cutter = setInterval(() => {
      proxy.cutAll();
      cuts++;
    }, 150);
    onCleanup(() => clearInterval(cutter));
    for (let i = 0; i < total; i += 10) {
      for (let j = i; j < i + 10; j++) await server.publish('app-bugs', { i: j });
      await new Promise((r) => setTimeout(r, 10)); // pacing the publisher, not synchronising
    }
    await col.waitFor(total);
    clearInterval(cutter);

    expect(cuts).toBeGreaterThanOrEqual(3);
    expect(col.got.map((m) => m.data.i)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(col.got.map((m) => m.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const where = new Set(reported.map((e) => (e.cause as Error).message));
    expect(where).toContain('handler bug');
    expect(where).toContain('state listener bug');
    expect(where).toContain('subscribed listener bug');
    // A publish still round-trips after all of it.
    await expect(c.publish('app-bugs', { i: -1 })).resolves.toEqual({ offset: total + 1 });
  });
});

describe('short polling with pollInterval 3× the heartbeat', () => {
  it('keeps one connection: no reconnect, messages delivered', async () => {
    // A heartbeat over 1 s, so that 3 × heartbeat is past the old watchdog's 2 × heartbeat + 1 s.
    const { server, url } = await startServer({ heartbeatInterval: 1100 });
    const c = client(url, { transports: ['polling'], pollInterval: 3300 });
    const states: string[] = [];
    c.on('state', (e) => states.push(e.state));
    const col = collector();
    const sub = c.subscribe('slow-poll', col.handler);
    await sub.ready;
    // Three poll intervals: the old watchdog (2 × heartbeat + 1 s) cut the link within the first.
    for (let i = 0; i < 3; i++) {
      await server.publish('slow-poll', i);
      await col.waitFor(i + 1);
    }
    expect(col.data()).toEqual(Array.from({ length: 3 }, (_, i) => i));
    expect(states).toEqual(['connecting', 'connected']);
  });
});
