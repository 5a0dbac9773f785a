// attach() whatever the order: the app's handler registered before anywire's attach() or after it,
// with a bare node:http listener, Express 5, Fastify 5 and Hono 4 (@hono/node-server). In every
// case anywire alone answers its path (requests and WebSocket upgrades), the app alone answers the
// rest, and the app's catch-all never sees an anywire request.
import { createServer as createHttpServer, request as httpRequest, type RequestListener, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/node/server/index.js';
import type { TransportName } from '../../src/adapters/types.js';
import { client, onCleanup } from '../helpers/server.js';

interface App {
  /** The URLs the app's own handlers saw. */
  seen: string[];
  /** An http server with the app on it, anywire attached before or after the app's handler. */
  start(attach: (http: HttpServer) => void, order: Order): Promise<HttpServer>;
}
type Order = 'app first' | 'anywire first';

/** A node:http server whose request listener is added before or after attach(). */
function onNodeHttp(listener: RequestListener, attach: (http: HttpServer) => void, order: Order): HttpServer {
  if (order === 'app first') {
    const http = createHttpServer(listener);
    attach(http);
    return http;
  }
  const http = createHttpServer();
  attach(http);
  http.on('request', listener);
  return http;
}

const apps: Record<string, () => App> = {
  'node:http': () => {
    const seen: string[] = [];
    // A naive app: it answers every request, anywire's path included, if it ever sees one.
    const listener: RequestListener = (req, res) => {
      seen.push(req.url!);
      res.writeHead(req.url === '/hello' ? 200 : 404, { 'Content-Type': 'text/plain' }).end(req.url === '/hello' ? 'hello' : 'app 404');
    };
    return { seen, start: async (attach, order) => onNodeHttp(listener, attach, order) };
  },
  express: () => {
    const seen: string[] = [];
    const app = express();
    app.use((req, _res, next) => {
      seen.push(req.url);
      next();
    });
    app.get('/hello', (_req, res) => void res.type('text/plain').send('hello'));
    app.use((_req, res) => void res.status(404).type('text/plain').send('app 404'));
    return { seen, start: async (attach, order) => onNodeHttp(app, attach, order) };
  },
  hono: () => {
    const seen: string[] = [];
    const app = new Hono();
    app.use(async (c, next) => {
      seen.push(new URL(c.req.url).pathname);
      await next();
    });
    app.get('/hello', (c) => c.text('hello'));
    app.notFound((c) => c.text('app 404', 404));
    return { seen, start: async (attach, order) => onNodeHttp(getRequestListener(app.fetch), attach, order) };
  },
  fastify: () => {
    const seen: string[] = [];
    return {
      seen,
      // Fastify makes its http server (and adds its listener) in Fastify(); the orders are
      // attach() before the routes are registered and listen() is called, or after listen().
      start: async (attach, order) => {
        const app = Fastify();
        if (order === 'anywire first') attach(app.server);
        app.addHook('onRequest', async (req) => void seen.push(req.url));
        app.get('/hello', async (_req, reply) => reply.type('text/plain').send('hello'));
        app.setNotFoundHandler((_req, reply) => void reply.code(404).type('text/plain').send('app 404'));
        await app.listen({ port: 0, host: '127.0.0.1' });
        if (order === 'app first') attach(app.server);
        onCleanup(() => app.close());
        return app.server;
      },
    };
  },
};

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

describe.each(Object.keys(apps))('attach() with %s', (name) => {
  it.each<Order>(['app first', 'anywire first'])('%s: each request is answered once, by its owner', async (order) => {
    const app = apps[name]!();
    const anywire = createServer({ path: '/rt' });
    const http = await app.start((h) => anywire.attach(h), order);
    if (!http.listening) await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    onCleanup(() => (http.listening ? new Promise((r) => http.close(r)) : undefined));
    onCleanup(() => anywire.close());
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    const hello = await fetch(`${base}/hello`);
    expect([hello.status, await hello.text()]).toEqual([200, 'hello']);
    const missing = await fetch(`${base}/nope`);
    expect([missing.status, await missing.text()]).toEqual([404, 'app 404']);
    const bundle = await fetch(`${base}/rt/client.js`);
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(1000);

    // Pub/sub over every transport, WebSocket upgrades included.
    for (const transport of transports) {
      const sub = client(`${base}/rt`, { transports: [transport], reconnect: false, pollInterval: 50 });
      const pub = client(`${base}/rt`, { transports: [transport], reconnect: false, pollInterval: 50 });
      const got = new Promise((r) => sub.subscribe(`c-${transport}`, r));
      await sub.subscribe(`c-${transport}`).ready;
      await pub.publish(`c-${transport}`, { via: transport });
      expect(await got).toEqual({ via: transport });
      expect(sub.transport).toBe(transport);
      sub.close();
      pub.close();
    }
    expect(app.seen.filter((u) => u.startsWith('/rt'))).toEqual([]);
    expect(app.seen).toEqual(['/hello', '/nope']);

    // After close() the app has the whole server again, in both orders.
    await anywire.close();
    const after = await fetch(`${base}/rt/client.js`);
    expect([after.status, await after.text()]).toEqual([404, 'app 404']);
  });
});

describe('attach() and Expect: 100-continue', () => {
  it("a request for anywire's path reaches anywire even when the app listens for checkContinue", async () => {
    const seen: string[] = [];
    const http = createHttpServer((req, res) => {
      seen.push(`request ${req.url}`);
      res.end('app');
    });
    // With a checkContinue listener Node emits that instead of 'request' for such requests.
    http.on('checkContinue', (req, res) => {
      seen.push(`checkContinue ${req.url}`);
      res.writeContinue();
      res.end('app continued');
    });
    const anywire = createServer({ path: '/rt' });
    anywire.attach(http);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    onCleanup(() => new Promise((r) => http.close(r)));
    onCleanup(() => anywire.close());
    const port = (http.address() as AddressInfo).port;
    const post = (path: string) =>
      new Promise<{ status: number; body: string; continued: boolean }>((done, reject) => {
        let continued = false;
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          headers: { Expect: '100-continue', 'Content-Type': 'application/json' },
        });
        req.on('continue', () => {
          continued = true;
          req.end('{}');
        });
        req.on('response', (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('end', () => done({ status: res.statusCode!, body, continued }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
    const app = await post('/hello');
    expect(app).toEqual({ status: 200, body: 'app continued', continued: true });
    const ours = await post('/rt/connect');
    expect(ours.continued).toBe(true);
    expect(ours.status).toBeGreaterThanOrEqual(400); // anywire's answer to an empty connect: a 4xx
    expect(ours.status).toBeLessThan(500);
    expect(JSON.parse(ours.body)).toMatchObject({ code: expect.any(String) });
    expect(seen).toEqual(['checkContinue /hello']);
  });
});
