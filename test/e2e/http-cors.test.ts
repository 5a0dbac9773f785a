// The HTTP transports cross-origin, in real headless Chromium: a page on one origin talks to an
// anywire server on another, with a token (so the SSE handshake is preflighted). A listed origin
// works on every HTTP transport; an unlisted one is refused and the client says so.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client as nodeClient, onCleanup, startServer } from '../helpers/server.js';
import { launchChromium, watchErrors } from './chromium.js';
import { startPageServer } from './page-server.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function openPage(url: string): Promise<Page> {
  const page = await browser.newPage();
  onCleanup(() => page.close());
  watchErrors(page);
  await page.goto(url);
  await page.waitForFunction(() => typeof (window as unknown as { Anywire?: unknown }).Anywire === 'object');
  return page;
}

describe.each(['sse', 'long-polling', 'polling'] as const)('cross-origin %s', (transport) => {
  it('works for a listed origin, with a token, both ways', async () => {
    // The page (and client.js) come from one origin; anywire runs on another.
    const { origin } = await startPageServer();
    const tokens: (string | undefined)[] = [];
    const { url } = await startServer({
      allowedOrigins: [origin],
      authenticate: ({ token }) => {
        tokens.push(token);
        return token === 'secret-token' ? { user: 'page' } : null;
      },
    });
    const page = await openPage(`${origin}/page.html`);
    const used = await page.evaluate(
      async ({ url, transport }) => {
        const w = window as unknown as Record<string, any>;
        w.received = [];
        w.client = w.Anywire.createClient({ url, transports: [transport], token: 'secret-token', pollInterval: 100 });
        await w.client.subscribe('x-room', (d: unknown) => w.received.push(d)).ready;
        await w.client.publish('x-room', 'from the page');
        return w.client.transport;
      },
      { url, transport },
    );
    expect(used).toBe(transport);
    expect(tokens).toEqual(['secret-token']);
    const node = nodeClient(url, { token: 'secret-token' });
    await node.subscribe('x-room').ready;
    await node.publish('x-room', 'from node');
    await page.waitForFunction(() => (window as unknown as { received: unknown[] }).received.length >= 2, undefined, { timeout: 20_000 });
    expect(await page.evaluate(() => (window as unknown as { received: unknown[] }).received)).toEqual(['from the page', 'from node']);
  });

  it('is refused for an unlisted origin', async () => {
    const { origin } = await startPageServer();
    const { url } = await startServer({ allowedOrigins: ['https://someone-else.example'] });
    const page = await openPage(`${origin}/page.html`);
    const outcome = await page.evaluate(
      async ({ url, transport }) => {
        const w = window as unknown as Record<string, any>;
        const c = w.Anywire.createClient({ url, transports: [transport], reconnect: false, autoConnect: false, connectTimeout: 3000 });
        try {
          await c.connect();
          return 'connected';
        } catch (e) {
          return (e as { code: string }).code;
        } finally {
          c.close();
        }
      },
      { url, transport },
    );
    expect(outcome).toBe('TRANSPORTS_EXHAUSTED');
  });
});
