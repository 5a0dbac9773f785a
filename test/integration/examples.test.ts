// The recipes in examples/ run for real: Express 5, Fastify 5 and Hono 4 each serve their own
// routes and anywire on one port; a Node client does pub/sub over every transport through each,
// and each app's own route publishes from the backend. The Vite + React app is in
// test/e2e/examples.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import { linkAnywire, startExample, type RunningExample } from '../helpers/examples.js';
import { client } from '../helpers/server.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

describe.each(['express', 'fastify', 'hono'])('examples/%s', (name) => {
  let app: RunningExample;
  beforeAll(async () => {
    linkAnywire();
    app = await startExample(name);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("the app's routes answer, and only the app's", async () => {
    const hello = await fetch(`${app.origin}/hello`);
    expect(hello.status).toBe(200);
    expect(await hello.json()).toEqual({ hello: `from ${name}` });
    expect((await fetch(`${app.origin}/no-such-route`)).status).toBe(404);
    const bundle = await fetch(`${app.origin}/anywire/client.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
  });

  it.each(transports)('pub/sub over %s, and a publish from an app route', async (transport) => {
    const url = `${app.origin}/anywire`;
    const a = client(url, { transports: [transport], reconnect: false, pollInterval: 50 });
    const b = client(url, { transports: [transport], reconnect: false, pollInterval: 50 });
    const got: unknown[] = [];
    let arrived: () => void;
    const two = new Promise<void>((r) => (arrived = r));
    await a.subscribe('chat', (data) => {
      got.push(data);
      if (got.length === 2) arrived();
    }).ready;
    await b.publish('chat', { text: `via ${transport}` });
    const res = await fetch(`${app.origin}/announce`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'from the route' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ offset: expect.any(Number) });
    await two;
    expect(got).toEqual([{ text: `via ${transport}` }, { text: 'from the route', from: name }]);
    expect(a.transport).toBe(transport);
  });

  it('exits 0 on SIGTERM after a graceful close', async () => {
    expect(await app.stop()).toBe(0);
  });
});
