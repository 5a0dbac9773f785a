// One connection for all tabs, in real headless Chromium: several pages of one origin in one
// browser context (so they share Web Locks and BroadcastChannel), the script-tag bundle, the real
// server on port 0. The server's `connection` and `disconnect` events count the connections.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { createServer, type AnywireServer } from '../../src/node/server/index.js';
import { onCleanup } from '../helpers/server.js';
import { launchChromium, watchErrors } from './chromium.js';
import { startPageServer } from './page-server.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

type W = Record<string, any>;

/** Live connections of a server, and every connection event with its time. */
function countConnections(server: AnywireServer): { live: () => number; opened: number[] } {
  let live = 0;
  const opened: number[] = [];
  server.on('connection', () => {
    live++;
    opened.push(Date.now());
  });
  server.on('disconnect', () => live--);
  return { live: () => live, opened };
}

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  onCleanup(() => context.close());
  return context;
}

/**
 * Opens a page with a client (`window.client`) and subscriptions to `channels`; every message is
 * kept in `window.got[channel]` as its offset and data.
 */
async function openTab(
  context: BrowserContext,
  origin: string,
  channels: string[],
  options: Record<string, unknown> = { shareConnection: true },
): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${origin}/page.html`);
  await page.waitForFunction(() => typeof (window as W).Anywire === 'object');
  await page.evaluate(
    async ({ channels, options }) => {
      const w = window as W;
      w.got = {};
      w.states = [];
      w.client = w.Anywire.createClient({ url: location.origin + '/anywire', ...options });
      w.client.on('state', (e: { state: string }) => w.states.push(e.state));
      w.subscribe = (ch: string) => {
        w.got[ch] = [];
        const sub = w.client.subscribe(ch, (data: unknown, meta: { offset: number }) => w.got[ch].push([meta.offset, data]));
        return sub.ready;
      };
      await Promise.all(channels.map((ch) => w.subscribe(ch)));
    },
    { channels, options },
  );
  return { page, errors };
}

const got = (page: Page, ch: string): Promise<Array<[number, unknown]>> => page.evaluate((ch) => (window as W).got[ch], ch);

describe('shareConnection across tabs', () => {
  it('three tabs hold one connection; each gets its own messages and acks', async () => {
    const { server, origin } = await startPageServer();
    const conns = countConnections(server);
    const context = await newContext();
    const a = await openTab(context, origin, ['all', 'only-a']);
    const b = await openTab(context, origin, ['all', 'only-b']);
    const c = await openTab(context, origin, ['all']);
    expect(conns.live()).toBe(1);

    // Each tab publishes; every publish is acked with its offset.
    // (What JSON carries, not what structured cloning would: a toJSON, a function left out.)
    const acks = await Promise.all(
      [a, b, c].map(({ page }, i) =>
        page.evaluate((i) => (window as W).client.publish('all', { from: i, skip: () => 1, toJSON: () => ({ from: i }) }), i),
      ),
    );
    expect(acks.map((x) => x.offset).sort()).toEqual([1, 2, 3]);
    await server.publish('only-a', 'for a');
    await server.publish('only-b', 'for b');

    for (const { page } of [a, b, c]) {
      await vi.waitFor(async () => expect((await got(page, 'all')).map(([o]) => o)).toEqual([1, 2, 3]), { timeout: 10_000 });
    }
    await vi.waitFor(async () => expect(await got(a.page, 'only-a')).toEqual([[1, 'for a']]), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await got(b.page, 'only-b')).toEqual([[1, 'for b']]), { timeout: 10_000 });
    expect(await c.page.evaluate(() => (window as W).got['only-a'])).toBeUndefined();
    // Every tab's client says it is connected, on the shared connection's transport.
    for (const { page } of [a, b, c]) {
      expect(await page.evaluate(() => [(window as W).client.state, (window as W).client.transport])).toEqual(['connected', 'websocket']);
    }
    expect(conns.live()).toBe(1);
    expect([...a.errors, ...b.errors, ...c.errors]).toEqual([]);
  });

  it('the leader tab closes during 500 messages: another leads within ~2 s, nothing lost or twice', async () => {
    const { server, origin } = await startPageServer();
    const conns = countConnections(server);
    const context = await newContext();
    const leader = await openTab(context, origin, ['feed']);
    const b = await openTab(context, origin, ['feed', 'b']);
    const c = await openTab(context, origin, ['feed']);
    expect(conns.live()).toBe(1);

    let closedAt = 0;
    for (let i = 1; i <= 500; i++) {
      await server.publish('feed', { i });
      if (i % 5 === 0) void server.publish('b', { i });
      if (i === 150) {
        closedAt = Date.now();
        void leader.page.close();
      }
    }
    // Another tab opened the one new connection within about 2 s.
    await vi.waitFor(() => expect(conns.opened.length).toBe(2), { timeout: 5000 });
    const takeover = conns.opened[1]! - closedAt;
    expect(takeover).toBeLessThan(2500);

    const all = Array.from({ length: 500 }, (_, i) => [i + 1, { i: i + 1 }]);
    for (const { page } of [b, c]) {
      await vi.waitFor(async () => expect((await got(page, 'feed')).length).toBeGreaterThanOrEqual(500), { timeout: 20_000 });
      expect(await got(page, 'feed')).toEqual(all);
    }
    await vi.waitFor(async () => expect((await got(b.page, 'b')).length).toBe(100), { timeout: 20_000 });
    expect((await got(b.page, 'b')).map(([o]) => o)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));

    // A subscribe and a publish after the takeover work, still on one connection.
    await c.page.evaluate(() => (window as W).subscribe('late'));
    const ack = await b.page.evaluate(() => (window as W).client.publish('late', 'after'));
    expect(ack.offset).toBe(1);
    await vi.waitFor(async () => expect(await got(c.page, 'late')).toEqual([[1, 'after']]), { timeout: 10_000 });
    await vi.waitFor(() => expect(conns.live()).toBe(1), { timeout: 10_000 });
    console.log(`takeover: new connection ${takeover} ms after the leader tab closed`);
    expect([...b.errors, ...c.errors]).toEqual([]);
  });

  // A frozen tab keeps its Web Lock and answers nothing, as a hung one does: the leader's main
  // thread is blocked for 5 s. (CDP's Page.setWebLifecycleState 'frozen' does not stop timers or
  // message handlers in chromium-headless-shell, so it cannot stand in for a freeze here.)
  it('the leader tab hangs (as a frozen one): another takes over within ~2 s; back, it follows and catches up', async () => {
    const { server, origin } = await startPageServer();
    const conns = countConnections(server);
    const context = await newContext();
    const leader = await openTab(context, origin, ['feed']);
    const b = await openTab(context, origin, ['feed']);
    expect(conns.live()).toBe(1);
    let frozenAt = 0;
    let hung: Promise<unknown> = Promise.resolve();
    for (let i = 1; i <= 300; i++) {
      await server.publish('feed', { i });
      if (i === 100) {
        frozenAt = Date.now();
        hung = leader.page.evaluate(() => {
          const end = Date.now() + 5000;
          while (Date.now() < end);
        });
      }
    }
    await vi.waitFor(() => expect(conns.opened.length).toBe(2), { timeout: 5000 });
    const takeover = conns.opened[1]! - frozenAt;
    expect(takeover).toBeLessThan(2500);
    const all = Array.from({ length: 300 }, (_, i) => [i + 1, { i: i + 1 }]);
    await vi.waitFor(async () => expect((await got(b.page, 'feed')).length).toBeGreaterThanOrEqual(300), { timeout: 20_000 });
    expect(await got(b.page, 'feed')).toEqual(all);

    // Back: the old leader does not keep a second connection, and its client catches up.
    await hung;
    await server.publish('feed', { i: 301 });
    all.push([301, { i: 301 }]);
    await vi.waitFor(async () => expect(await got(leader.page, 'feed')).toEqual(all), { timeout: 20_000 });
    await vi.waitFor(async () => expect(await got(b.page, 'feed')).toEqual(all), { timeout: 20_000 });
    await vi.waitFor(() => expect(conns.live()).toBe(1), { timeout: 20_000 });
    console.log(`takeover: new connection ${takeover} ms after the leader tab hung`);
  });

  it.each(['sse', 'long-polling', 'polling'] as const)(
    'on %s: two tabs share, the leader closes, nothing lost or twice',
    async (transport) => {
      const { server, origin } = await startPageServer();
      const conns = countConnections(server);
      const context = await newContext();
      const opts = { shareConnection: true, transports: [transport], pollInterval: 50 };
      const leader = await openTab(context, origin, ['feed'], opts);
      const b = await openTab(context, origin, ['feed'], opts);
      expect(conns.live()).toBe(1);
      expect(await b.page.evaluate(() => (window as W).client.transport)).toBe(transport);
      for (let i = 1; i <= 60; i++) {
        await server.publish('feed', { i });
        if (i === 20) void leader.page.close();
      }
      const all = Array.from({ length: 60 }, (_, i) => [i + 1, { i: i + 1 }]);
      await vi.waitFor(async () => expect((await got(b.page, 'feed')).length).toBeGreaterThanOrEqual(60), { timeout: 30_000 });
      expect(await got(b.page, 'feed')).toEqual(all);
      const ack = await b.page.evaluate(() => (window as W).client.publish('feed', 'after'));
      expect(ack.offset).toBe(61);
    },
  );

  it('two clients in one tab share too; the leader tab closing its clients hands over, nothing lost', async () => {
    const { server, origin } = await startPageServer();
    const conns = countConnections(server);
    const context = await newContext();
    const leader = await openTab(context, origin, ['feed']);
    const b = await openTab(context, origin, ['feed']);
    // A second client in the same tab joins the same group.
    await leader.page.evaluate(async () => {
      const w = window as W;
      w.got2 = [];
      w.client2 = w.Anywire.createClient({ url: location.origin + '/anywire', shareConnection: true });
      await w.client2.subscribe('feed', (_d: unknown, m: { offset: number }) => w.got2.push(m.offset)).ready;
    });
    expect(conns.live()).toBe(1);
    await server.publish('feed', 1);
    await vi.waitFor(async () => expect(await leader.page.evaluate(() => (window as W).got2)).toEqual([1]));
    // The leader's page closes both clients: another tab takes the connection over.
    await leader.page.evaluate(() => {
      (window as W).client.close();
      (window as W).client2.close();
    });
    for (let i = 2; i <= 50; i++) await server.publish('feed', i);
    await vi.waitFor(async () => expect((await got(b.page, 'feed')).map(([o]) => o)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1)), {
      timeout: 20_000,
    });
    await vi.waitFor(() => expect(conns.live()).toBe(1), { timeout: 10_000 });
    expect(conns.opened).toHaveLength(2);
  });

  it('the ESM build (dist/browser.js as a native module): its lazy chunk loads and the tabs share', async () => {
    const server = createServer();
    const conns = countConnections(server);
    const dist = resolve(import.meta.dirname, '../../dist');
    const http = createHttpServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (path === '/esm.html') {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return res.end(`<!doctype html><script type="module">
          import { createClient } from '/dist/browser.js';
          window.client = createClient({ url: location.origin + '/anywire', shareConnection: true });
          window.got = [];
          window.ready = window.client.subscribe('esm', (d, m) => window.got.push(m.offset)).ready;
        </script>`);
      }
      const file = /^\/dist\/([\w.-]+\.js)$/.exec(path)?.[1];
      if (file && existsSync(join(dist, file))) {
        res.writeHead(200, { 'Content-Type': 'text/javascript' });
        return res.end(readFileSync(join(dist, file)));
      }
      res.writeHead(404).end();
    });
    server.attach(http);
    await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
    onCleanup(async () => {
      await server.close();
      http.closeAllConnections();
      await new Promise((done) => http.close(done));
    });
    const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const context = await newContext();
    const pages: Page[] = [];
    const chunks: string[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      page.on('request', (r) => /\/dist\/group-/.test(r.url()) && chunks.push(r.url()));
      await page.goto(`${origin}/esm.html`);
      await page.waitForFunction(() => (window as W).ready);
      await page.evaluate(() => (window as W).ready);
      pages.push(page);
    }
    expect(conns.live()).toBe(1);
    expect(chunks.length).toBeGreaterThanOrEqual(1);
    await server.publish('esm', 'hi');
    for (const page of pages) await vi.waitFor(async () => expect(await page.evaluate(() => (window as W).got)).toEqual([1]));
  });

  it('tabs without the option keep their own connections', async () => {
    const { server, origin } = await startPageServer();
    const conns = countConnections(server);
    const context = await newContext();
    await openTab(context, origin, ['x'], {});
    await openTab(context, origin, ['x'], {});
    await openTab(context, origin, ['x'], { shareConnection: true });
    expect(conns.live()).toBe(3);
  });

  it('tabs with different tokens do not share', async () => {
    const { server, origin } = await startPageServer({ authenticate: ({ token }) => (token ? { id: String(token) } : null) });
    const conns = countConnections(server);
    const context = await newContext();
    const a1 = await openTab(context, origin, ['x'], { shareConnection: true, token: 'alice' });
    await openTab(context, origin, ['x'], { shareConnection: true, token: 'alice' });
    const bob = await openTab(context, origin, ['x'], { shareConnection: true, token: 'bob' });
    expect(conns.live()).toBe(2);
    await a1.page.evaluate(() => (window as W).client.publish('x', 'hi'));
    await vi.waitFor(async () => expect(await got(bob.page, 'x')).toEqual([[1, 'hi']]), { timeout: 10_000 });
  });
});
