// The fallback ladder against real faults: refused, black-holed and buffered transports.
import { describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../helpers/http-proxy.js';
import { client, onCleanup, startServer } from '../helpers/server.js';
import { AnywireError } from '../../src/core/errors.js';

async function setup(faults: Parameters<typeof startFaultProxy>[1]) {
  const { server, url } = await startServer({ heartbeatInterval: 5000 });
  const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''), faults);
  onCleanup(() => proxy.close());
  return { server, proxy, url: `${proxy.origin}/anywire` };
}

function transportChange(c: ReturnType<typeof client>, name: string): Promise<void> {
  return new Promise((resolve) => {
    const fn = (e: { transport: string | null }) => {
      if (e.transport !== name) return;
      c.off('transport', fn);
      resolve();
    };
    c.on('transport', fn);
  });
}

describe('fallback ladder', () => {
  it('WebSocket refused → on sse within a second or two', async () => {
    const { url } = await setup({ refuseWebSocket: true });
    const c = client(url, { autoConnect: false });
    const started = Date.now();
    await c.connect();
    expect(c.transport).toBe('sse');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('WebSocket black-holed → falls back after connectTimeout', async () => {
    const { url } = await setup({ blackholeWebSocket: true });
    const c = client(url, { autoConnect: false, connectTimeout: 800 });
    const started = Date.now();
    await c.connect();
    expect(c.transport).toBe('sse');
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
  });

  it('WebSocket refused and SSE buffered by a proxy → on long-polling', async () => {
    const { url } = await setup({ refuseWebSocket: true, bufferSse: true });
    const c = client(url, { autoConnect: false, connectTimeout: 800 });
    await c.connect();
    expect(c.transport).toBe('long-polling');
  });

  it('everything refused → TRANSPORTS_EXHAUSTED naming every rung', async () => {
    const { url } = await setup({ refuseHttp: true });
    const c = client(url, { autoConnect: false, connectTimeout: 800, reconnect: false });
    const err = (await c.connect().catch((e: unknown) => e)) as AnywireError;
    expect(err).toBeInstanceOf(AnywireError);
    expect(err.code).toBe('TRANSPORTS_EXHAUSTED');
    for (const rung of ['websocket', 'sse', 'long-polling', 'polling']) expect(err.message).toContain(`${rung}:`);
    expect(c.state).toBe('disconnected');
  });

  it('moves back up to websocket when it works again, losing and repeating nothing', async () => {
    const { server, proxy, url } = await setup({ refuseWebSocket: true });
    const c = client(url, { upgradeInterval: 300, reconnect: { minDelay: 20, maxDelay: 200 } });
    const got: number[] = [];
    const sub = c.subscribe<{ n: number }>('up', (d) => got.push(d.n));
    await sub.ready;
    expect(c.transport).toBe('sse');

    const upgraded = transportChange(c, 'websocket');
    let n = 0;
    // Publish continuously across the switch; bounded.
    const publishing = (async () => {
      while (n < 400) {
        await server.publish('up', { n: n++ });
        if (n === 100) (proxy as FaultProxy).faults.refuseWebSocket = false;
        await new Promise((r) => setTimeout(r, 2)); // pacing, not synchronisation
      }
    })();
    await upgraded;
    await publishing;
    await vi_waitFor(() => got.length >= 400);
    expect(c.transport).toBe('websocket');
    expect(got).toEqual(Array.from({ length: 400 }, (_, i) => i));
  });
});

async function vi_waitFor(cond: () => boolean): Promise<void> {
  const { vi } = await import('vitest');
  await vi.waitFor(
    () => {
      if (!cond()) throw new Error('not yet');
    },
    { timeout: 20_000 },
  );
}
