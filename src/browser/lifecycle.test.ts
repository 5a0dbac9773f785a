// The browser entry's platform signals, in happy-dom: `online` retries at once, `offline` and a page
// becoming visible check the link, and `close()` removes every listener.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Transport, TransportFactory, TransportHandlers } from '../core/transport.js';
import { AnywireError } from '../core/errors.js';
import type { ClientFrame } from '../core/frames.js';
import { browserLifecycle } from './lifecycle.js';
import { createClient, type Client } from './modular.js';

/** A transport that either fails to open or completes the handshake, and records what it sends. */
class FakeTransport implements Transport {
  readonly name = 'websocket' as const;
  readonly duplex = true;
  readonly sent: ClientFrame[] = [];
  handlers: TransportHandlers | undefined;
  constructor(
    private readonly up: boolean,
    private readonly hb: number,
  ) {}
  open(handlers: TransportHandlers): Promise<void> {
    if (!this.up) return Promise.reject(new AnywireError('DISCONNECTED', 'server down'));
    this.handlers = handlers;
    return Promise.resolve();
  }
  send(frames: ClientFrame[]): void {
    this.sent.push(...frames);
    for (const f of frames) {
      if (f.t === 'connect') queueMicrotask(() => this.handlers?.onFrames([{ t: 'welcome', v: 2, sid: 's', hb: this.hb, max: 65536 }]));
    }
  }
  close(): void {
    this.handlers = undefined;
  }
}

function fakeServer(opts: { up: boolean; hb?: number }) {
  const transports: FakeTransport[] = [];
  const state = { up: opts.up };
  const factory: TransportFactory = {
    name: 'websocket',
    create: () => {
      const t = new FakeTransport(state.up, opts.hb ?? 60_000);
      transports.push(t);
      return t;
    },
  };
  return { factory, transports, state };
}

const clients: Client[] = [];
function start(factory: TransportFactory): Client {
  // A backoff of a minute: any attempt within a test was triggered by a platform signal.
  const c = createClient(
    { url: 'http://127.0.0.1:1/anywire', reconnect: { minDelay: 60_000, maxDelay: 60_000 } },
    { transports: [factory] },
  );
  clients.push(c);
  return c;
}

function stateIs(c: Client, state: Client['state']): Promise<void> {
  return vi.waitFor(() => expect(c.state).toBe(state), { timeout: 5000, interval: 5 });
}

let visibility: DocumentVisibilityState = 'visible';
Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
function setVisibility(v: DocumentVisibilityState): void {
  visibility = v;
  document.dispatchEvent(new Event('visibilitychange'));
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  visibility = 'visible';
  vi.unstubAllGlobals();
});

describe('browser lifecycle', () => {
  it('online: a reconnecting client tries again at once instead of waiting for the backoff', async () => {
    const server = fakeServer({ up: false });
    const c = start(server.factory);
    await stateIs(c, 'reconnecting');
    expect(server.transports).toHaveLength(1);
    server.state.up = true;
    window.dispatchEvent(new Event('online'));
    await stateIs(c, 'connected');
    expect(server.transports).toHaveLength(2);
  });

  it('online while connected does nothing', async () => {
    const server = fakeServer({ up: true });
    const c = start(server.factory);
    await stateIs(c, 'connected');
    window.dispatchEvent(new Event('online'));
    expect(server.transports).toHaveLength(1);
    expect(c.state).toBe('connected');
  });

  it('offline: checks the link with a ping, and drops a link that stays silent', async () => {
    const server = fakeServer({ up: true, hb: 300 });
    const c = start(server.factory);
    await stateIs(c, 'connected');
    const reasons: (string | undefined)[] = [];
    c.on('state', (e) => reasons.push(e.reason));
    window.dispatchEvent(new Event('offline'));
    expect(server.transports[0]!.sent).toContainEqual({ t: 'ping' });
    await stateIs(c, 'reconnecting');
    expect(reasons.join(' ')).toMatch(/health check/);
  });

  it('offline: a link that answers the ping stays up', async () => {
    const server = fakeServer({ up: true, hb: 60_000 });
    const c = start(server.factory);
    await stateIs(c, 'connected');
    window.dispatchEvent(new Event('offline'));
    const t = server.transports[0]!;
    expect(t.sent).toContainEqual({ t: 'ping' });
    t.handlers!.onFrames([{ t: 'pong' }]);
    expect(c.state).toBe('connected');
    expect(server.transports).toHaveLength(1);
  });

  it('visibilitychange: hidden does nothing, visible again reconnects now', async () => {
    const server = fakeServer({ up: false });
    const c = start(server.factory);
    await stateIs(c, 'reconnecting');
    server.state.up = true;
    setVisibility('hidden');
    expect(server.transports).toHaveLength(1);
    setVisibility('visible');
    await stateIs(c, 'connected');
    expect(server.transports).toHaveLength(2);
  });

  it('visibilitychange: visible again while connected checks the link with a ping', async () => {
    const server = fakeServer({ up: true });
    const c = start(server.factory);
    await stateIs(c, 'connected');
    setVisibility('hidden');
    expect(server.transports[0]!.sent).not.toContainEqual({ t: 'ping' });
    setVisibility('visible');
    expect(server.transports[0]!.sent).toContainEqual({ t: 'ping' });
  });

  it('pageshow from the back-forward cache reconnects now; a fresh load does not', async () => {
    const server = fakeServer({ up: false });
    const c = start(server.factory);
    await stateIs(c, 'reconnecting');
    server.state.up = true;
    const pageshow = (persisted: boolean) => Object.defineProperty(new Event('pageshow'), 'persisted', { value: persisted });
    window.dispatchEvent(pageshow(false));
    expect(server.transports).toHaveLength(1);
    window.dispatchEvent(pageshow(true));
    await stateIs(c, 'connected');
    expect(server.transports).toHaveLength(2);
  });

  it('close() removes the listeners', async () => {
    const server = fakeServer({ up: false });
    const add = vi.spyOn(window, 'addEventListener');
    const remove = vi.spyOn(window, 'removeEventListener');
    const c = start(server.factory);
    await stateIs(c, 'reconnecting');
    c.close();
    const added = add.mock.calls.map((a) => a[0]).sort();
    const removed = remove.mock.calls.map((a) => a[0]).sort();
    expect(added).toEqual(expect.arrayContaining(['offline', 'online']));
    expect(removed).toEqual(added);
    server.state.up = true;
    window.dispatchEvent(new Event('online'));
    setVisibility('visible');
    expect(server.transports).toHaveLength(1);
    expect(c.state).toBe('disconnected');
  });

  it('without a window (a worker, SSR) there are no hooks, and the client still works', async () => {
    vi.stubGlobal('window', undefined);
    expect(browserLifecycle()).toBeUndefined();
    const server = fakeServer({ up: true });
    const c = start(server.factory);
    await stateIs(c, 'connected');
  });
});
