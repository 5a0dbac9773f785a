// examples/vite-react as a user ships it: `vite build`, then its server.js serves the build and
// anywire on one port; real headless Chromium loads the app (React 19 in StrictMode, anywire/react
// hooks) and chats with a Node client; once presence is merged, the page's online list (usePresence)
// shows both.
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { examplesDir, linkAnywire, startExample, type RunningExample } from '../helpers/examples.js';
import type { Subscription } from '../../src/core/subscription.js';
import { client, onCleanup } from '../helpers/server.js';
import { launchChromium, watchErrors } from './chromium.js';

let browser: Browser;
let app: RunningExample;
beforeAll(async () => {
  linkAnywire();
  const root = resolve(examplesDir, 'vite-react');
  await build({ root, logLevel: 'warn', configFile: resolve(root, 'vite.config.js') });
  [browser, app] = await Promise.all([launchChromium(), startExample('vite-react')]);
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

it('the built Vite + React chat talks to a Node client through the example server', async () => {
  const page = await browser.newPage();
  onCleanup(() => page.close());
  const errors = watchErrors(page);
  await page.goto(app.origin);
  const status = page.getByTestId('status');
  await vi.waitFor(async () => expect(await status.textContent()).toBe('connected over websocket · chat subscribed'), { timeout: 30_000 });

  const node = client(`${app.origin}/anywire`);
  const got: { from: string; text: string }[] = [];
  // With presence data (the third argument), so the page's usePresence lists this client too.
  const subscribe = node.subscribe.bind(node) as (c: string, h: (m: { from: string; text: string }) => void, o: object) => Subscription;
  const sub = subscribe('chat', (m) => got.push(m), { presence: { name: 'node' } });
  await sub.ready;
  const online = page.getByTestId('online');
  await vi.waitFor(async () => expect(await online.textContent()).toMatch(/^online: guest-\w+, node$/));

  // The page publishes through useChannel's publish …
  await page.getByLabel('message').fill('hello from chromium');
  await page.getByRole('button', { name: 'send' }).click();
  await vi.waitFor(() => expect(got.map((m) => m.text)).toEqual(['hello from chromium']));
  expect(got[0]!.from).toMatch(/^guest-/);

  // … and renders what the Node client publishes, once each (StrictMode subscribed once).
  await node.publish('chat', { from: 'node', text: 'hello from node' });
  const items = page.getByTestId('messages').locator('li');
  await vi.waitFor(async () =>
    expect(await items.allTextContents()).toEqual([`${got[0]!.from} hello from chromium`, 'node hello from node']),
  );
  expect(errors).toEqual([]);
});
