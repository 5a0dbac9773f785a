// A plain page loads `<path>/client.js` by script tag and talks to a Node client through the real
// server, in real headless Chromium: on each of the four transports, and behind a proxy that
// refuses WebSocket upgrades (the client falls back and still works).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/core/client.js';
import type { TransportName } from '../../src/adapters/types.js';
import { startFaultProxy } from '../helpers/http-proxy.js';
import { client as nodeClient, onCleanup } from '../helpers/server.js';
import { launchChromium, watchErrors } from './chromium.js';
import { startPageServer } from './page-server.js';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  onCleanup(() => page.close());
  const errors = watchErrors(page);
  await page.goto(url);
  await page.waitForFunction(() => typeof (window as unknown as { Anywire?: unknown }).Anywire === 'object');
  return { page, errors };
}

type Received = { data: unknown; offset: number; binary: boolean };

/** Creates a client in the page, subscribes to `channel`, resolves with the transport in use. */
function browserSubscribe(page: Page, channel: string, transports?: TransportName[]): Promise<string | null> {
  return page.evaluate(
    async ({ channel, transports }) => {
      const w = window as unknown as Record<string, any>;
      w.received = [];
      w.transports = [];
      w.client = w.Anywire.createClient({
        url: location.origin + '/anywire',
        pollInterval: 100,
        ...(transports ? { transports } : {}),
      });
      w.client.on('transport', (e: { transport: string | null }) => w.transports.push(e.transport));
      const sub = w.client.subscribe(channel, (data: unknown, meta: { offset: number }) =>
        w.received.push({
          data: data instanceof Uint8Array ? Array.from(data) : data,
          offset: meta.offset,
          binary: data instanceof Uint8Array,
        }),
      );
      await sub.ready;
      return w.client.transport;
    },
    { channel, transports },
  );
}

/** Both ways: the page publishes to the Node client, the Node client (text and binary) to the page. */
async function exchange(page: Page, node: Client, channel: string): Promise<void> {
  const fromBrowser: unknown[] = [];
  await node.subscribe(channel, (data) => fromBrowser.push(data)).ready;

  const ack = await page.evaluate(
    (channel) => (window as unknown as Record<string, any>).client.publish(channel, { from: 'browser', text: 'héllo ✓' }),
    channel,
  );
  expect(ack.offset).toBeGreaterThan(0);
  await vi.waitFor(() => expect(fromBrowser).toContainEqual({ from: 'browser', text: 'héllo ✓' }), { timeout: 20_000 });

  await node.publish(channel, { from: 'node' });
  await node.publish(channel, new Uint8Array([0, 1, 254, 255]));
  await page.waitForFunction(() => (window as unknown as { received: Received[] }).received.length >= 3, undefined, { timeout: 20_000 });
  const received = (await page.evaluate(() => (window as unknown as { received: Received[] }).received)) as Received[];
  expect(received.map((r) => r.data)).toEqual([{ from: 'browser', text: 'héllo ✓' }, { from: 'node' }, [0, 1, 254, 255]]);
  expect(received[2]!.binary).toBe(true);
  // Offsets strictly increase.
  expect(received.map((r) => r.offset)).toEqual([...received.map((r) => r.offset)].sort((a, b) => a - b));
}

describe.each(['websocket', 'sse', 'long-polling', 'polling'] as const)('script tag on %s', (transport) => {
  it('subscribes and publishes, exchanging messages with a Node client', async () => {
    const { url, origin } = await startPageServer();
    const { page, errors } = await openPage(`${origin}/page.html`);
    const used = await browserSubscribe(page, 'room', [transport]);
    expect(used, errors.join('\n')).toBe(transport);
    await exchange(page, nodeClient(url), 'room');
    expect(await page.evaluate(() => (window as unknown as Record<string, any>).client.transport)).toBe(transport);
    expect(errors).toEqual([]);
  });
});

describe('behind a proxy that refuses WebSocket upgrades', () => {
  it('falls back to an HTTP transport and still works', async () => {
    const { url, origin } = await startPageServer();
    const proxy = await startFaultProxy(origin, { refuseWebSocket: true });
    onCleanup(() => proxy.close());
    const { page, errors } = await openPage(`${proxy.origin}/page.html`);
    const used = await browserSubscribe(page, 'lobby');
    expect(used).not.toBe('websocket');
    expect(['sse', 'long-polling', 'polling']).toContain(used);
    expect(proxy.upgrades).toBe(0);
    await exchange(page, nodeClient(url), 'lobby');
    // Chromium logs the refused handshake as a console error; nothing else may go wrong.
    expect(errors.filter((e) => !/WebSocket/.test(e))).toEqual([]);
  });
});
