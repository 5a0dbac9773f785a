// The demo at `/` of `anywire serve`, in real headless Chromium: it loads, a message sent from one
// page appears in another (each on its own transport), and both pages survive a server restart,
// showing the state while reconnecting. Screenshots land in test-artifacts/.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers/server.js';
import { artifactPath, launchChromium, watchErrors } from './chromium.js';

const cli = resolve(import.meta.dirname, '../../dist/cli.js');

/** Starts `anywire serve` and resolves with the URL it prints once listening. */
function serve(port = 0): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return new Promise((done, fail) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /anywire listening on (http:\/\/\S+)/.exec(out);
      if (m) done({ proc, url: m[1]! });
    });
    proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => fail(new Error(`anywire serve exited with ${code}: ${out}`)));
  });
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((done) => {
    proc.once('exit', () => done());
    proc.kill('SIGTERM');
  });
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function open(context: BrowserContext, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(url);
  await connected(page);
  return { page, errors };
}

// Generous: after a restart the client's backoff (up to 10 s between attempts) decides when it is back.
const connected = (page: Page) =>
  page.waitForFunction(() => (window as unknown as { demo: { client: { state: string } } }).demo.client.state === 'connected', undefined, {
    timeout: 60_000,
  });

async function send(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

const arrived = (page: Page, text: string) =>
  page.waitForFunction((t) => Array.from(document.querySelectorAll('.msg:not(.mine) .bubble')).some((b) => b.textContent === t), text, {
    timeout: 30_000,
  });

describe('demo page of anywire serve', () => {
  it('loads, carries a message from one page to another, and survives a server restart', async () => {
    const { proc, url } = await serve();
    const port = Number(new URL(url).port);
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    onCleanup(() => desktop.close());
    onCleanup(() => phone.close());

    const a = await open(desktop, `${url}/`);
    const b = await open(phone, `${url}/#t=long-polling`);
    expect(await a.page.title()).toMatch(/anywire/);
    expect(await a.page.textContent('#state')).toBe('connected');
    expect(await b.page.textContent('#transport')).toBe('Long polling');

    await send(a.page, 'Hello from the desktop');
    await arrived(b.page, 'Hello from the desktop');
    // The sender's own message came back through the server, with its latency.
    await a.page.waitForSelector('.msg.mine[data-latency]');
    await send(b.page, 'Hi from the phone');
    await arrived(a.page, 'Hi from the phone');
    // Who is online comes from presence: each page lists both (itself marked), no hand-made messages.
    for (const p of [a.page, b.page])
      await p.waitForFunction(() => document.getElementById('count')!.textContent === '2', undefined, { timeout: 30_000 });
    // A page entering the room now gets its last messages (rewind) and sees three online.
    const c = await open(desktop, `${url}/#t=sse`);
    await arrived(c.page, 'Hello from the desktop');
    await arrived(c.page, 'Hi from the phone');
    await c.page.waitForFunction(() => document.getElementById('count')!.textContent === '3', undefined, { timeout: 30_000 });
    await a.page.waitForFunction(() => document.getElementById('count')!.textContent === '3', undefined, { timeout: 30_000 });
    await c.page.close();
    await a.page.screenshot({ path: artifactPath('demo-desktop.png') });
    await b.page.screenshot({ path: artifactPath('demo-phone.png') });

    // Restart the server: both pages show that they are reconnecting, then come back by themselves.
    await stop(proc);
    for (const p of [a.page, b.page]) {
      await p.waitForFunction(() => document.getElementById('state')!.textContent !== 'connected', undefined, { timeout: 30_000 });
      await p.waitForSelector('#banner:not([hidden])');
    }
    await a.page.screenshot({ path: artifactPath('demo-reconnecting.png') });
    await serve(port);
    await connected(a.page);
    await connected(b.page);
    expect(await a.page.isHidden('#banner')).toBe(true);
    // The restarted server's history is new: the page says messages may be missing, never silently.
    await a.page.waitForFunction(() => Array.from(document.querySelectorAll('.sys')).some((s) => /restarted/.test(s.textContent ?? '')));
    await send(b.page, 'Still here after the restart');
    await arrived(a.page, 'Still here after the restart');

    // Chromium logs refused connections while the server is down; nothing else may go wrong.
    const unexpected = [...a.errors, ...b.errors].filter(
      (e) => !/ERR_CONNECTION_REFUSED|WebSocket|Failed to load resource|network/i.test(e),
    );
    expect(unexpected).toEqual([]);
  });

  it('#share: the tabs of one browser share one connection and say so', async () => {
    const { url } = await serve();
    const context = await browser.newContext();
    onCleanup(() => context.close());
    const a = await open(context, `${url}/#share`);
    const b = await open(context, `${url}/#share`);
    for (const p of [a.page, b.page])
      await p.waitForFunction(() => /^2 tabs sharing this connection/.test(document.getElementById('tabs')!.textContent ?? ''), undefined, {
        timeout: 10_000,
      });
    // One of the two holds the connection; the other's client is connected through it.
    expect(
      await b.page.evaluate(() => (window as unknown as { demo: { client: { state: string; transport: string } } }).demo.client.transport),
    ).toBe('websocket');
    await send(a.page, 'from the first tab');
    await arrived(b.page, 'from the first tab');
    await a.page.screenshot({ path: artifactPath('demo-share.png') });
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
