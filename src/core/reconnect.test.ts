// Reconnection policy with fake timers and a fake transport: backoff timings, maxAttempts, a fresh
// token per attempt, UNAUTHORIZED handling, and the lifecycle hooks (online, resume).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';
import { createCoreClient, type LifecycleHooks } from './client.js';
import type { ClientFrame } from './frames.js';

type Mode = 'fail' | 'welcome' | 'unauthorized';

function fakeFactory(mode: () => Mode) {
  const sent: ClientFrame[][] = [];
  const opened: { handlers: TransportHandlers }[] = [];
  const factory: TransportFactory = {
    name: 'websocket',
    create: () => {
      let handlers: TransportHandlers | undefined;
      const t: Transport = {
        name: 'websocket',
        duplex: true,
        open: (h) => {
          handlers = h;
          if (mode() === 'fail') return Promise.reject(new Error('connection refused'));
          opened.push({ handlers: h });
          return Promise.resolve();
        },
        send: (frames) => {
          sent.push(frames);
          const m = mode();
          if (frames[0]?.t !== 'connect') return;
          queueMicrotask(() =>
            handlers!.onFrames(
              m === 'unauthorized'
                ? [{ t: 'err', code: 'UNAUTHORIZED', msg: 'bad token' }]
                : [{ t: 'welcome', v: 2, sid: 's', hb: 1000, max: 1000 }],
            ),
          );
        },
        close: () => {},
      };
      return t;
    },
  };
  return { factory, sent, opened };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reconnection', () => {
  it('backs off exponentially (jitter 0) and gives up after maxAttempts', async () => {
    const { factory } = fakeFactory(() => 'fail');
    const created = vi.spyOn(factory, 'create');
    const c = createCoreClient(
      { url: 'http://x', transports: ['websocket'], reconnect: { minDelay: 100, maxDelay: 350, factor: 2, jitter: 0, maxAttempts: 3 } },
      { runtime: {}, factories: { websocket: factory } },
    );
    const states: string[] = [];
    c.on('state', (e) => states.push(e.state));
    await vi.advanceTimersByTimeAsync(0);
    expect(created).toHaveBeenCalledTimes(1);
    expect(c.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(99);
    expect(created).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1); // 100 ms
    expect(created).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(created).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1); // 200 ms
    expect(created).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(349);
    expect(created).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(1); // capped at 350 ms
    expect(created).toHaveBeenCalledTimes(4);
    expect(c.state).toBe('disconnected');
    expect(states).toEqual(['connecting', 'reconnecting', 'disconnected']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(created).toHaveBeenCalledTimes(4);
    c.close();
  });

  it('calls the token function on every attempt', async () => {
    let mode: Mode = 'fail';
    const { factory, sent } = fakeFactory(() => mode);
    let n = 0;
    const token = vi.fn(async () => `t${++n}`);
    const c = createCoreClient(
      { url: 'http://x', transports: ['websocket'], token, reconnect: { minDelay: 10, jitter: 0 } },
      { runtime: {}, factories: { websocket: factory } },
    );
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(10);
    mode = 'welcome';
    await vi.advanceTimersByTimeAsync(20);
    expect(c.state).toBe('connected');
    expect(token).toHaveBeenCalledTimes(3);
    expect(sent[0]).toEqual([{ t: 'connect', v: 2, token: 't3' }]);
    c.close();
  });

  it('UNAUTHORIZED with a static token stops; with a token function it keeps retrying', async () => {
    const { factory } = fakeFactory(() => 'unauthorized');
    const fixed = createCoreClient(
      { url: 'http://x', transports: ['websocket'], token: 'bad', autoConnect: false, reconnect: { minDelay: 10 } },
      { runtime: {}, factories: { websocket: factory } },
    );
    const err = fixed.connect().catch((e: { code: string }) => e.code);
    await vi.advanceTimersByTimeAsync(0);
    expect(await err).toBe('UNAUTHORIZED');
    expect(fixed.state).toBe('disconnected');

    const create = vi.spyOn(factory, 'create');
    const fn = createCoreClient(
      { url: 'http://x', transports: ['websocket'], token: () => 'bad', reconnect: { minDelay: 10, maxDelay: 10 } },
      { runtime: {}, factories: { websocket: factory } },
    );
    await vi.advanceTimersByTimeAsync(35);
    expect(fn.state).toBe('reconnecting');
    expect(create.mock.calls.length).toBeGreaterThanOrEqual(3);
    fn.close();
  });

  it('online retries at once instead of waiting for the backoff', async () => {
    let mode: Mode = 'fail';
    const { factory } = fakeFactory(() => mode);
    let hooks: LifecycleHooks | undefined;
    const c = createCoreClient(
      { url: 'http://x', transports: ['websocket'], reconnect: { minDelay: 60_000, jitter: 0 } },
      { runtime: {}, factories: { websocket: factory }, lifecycle: (h) => ((hooks = h), () => {}) },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(c.state).toBe('reconnecting');
    mode = 'welcome';
    hooks!.online();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.state).toBe('connected');
    c.close();
  });

  it('resume pings a connected link and reconnects when nothing answers', async () => {
    const { factory, sent } = fakeFactory(() => 'welcome');
    let hooks: LifecycleHooks | undefined;
    const c = createCoreClient(
      { url: 'http://x', transports: ['websocket'], reconnect: { minDelay: 10, jitter: 0 } },
      { runtime: {}, factories: { websocket: factory }, lifecycle: (h) => ((hooks = h), () => {}) },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(c.state).toBe('connected');
    const states: string[] = [];
    c.on('state', (e) => states.push(e.state));
    hooks!.resume();
    expect(sent.at(-1)).toEqual([{ t: 'ping' }]);
    await vi.advanceTimersByTimeAsync(1000); // hb = 1000: the health check waits min(5000, hb)
    expect(states[0]).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(20);
    expect(c.state).toBe('connected');
    c.close();
  });
});

describe('transient subscribe refusals', () => {
  it('BROKER_UNAVAILABLE on subscribe is retried with backoff, not final', async () => {
    let handlers: TransportHandlers | undefined;
    let refusals = 2;
    const subs: ClientFrame[] = [];
    const factory: TransportFactory = {
      name: 'websocket',
      create: () => ({
        name: 'websocket',
        duplex: true,
        open: (h) => ((handlers = h), Promise.resolve()),
        send: (frames) => {
          for (const f of frames) {
            if (f.t === 'connect') queueMicrotask(() => handlers!.onFrames([{ t: 'welcome', v: 2, sid: 's', hb: 60_000, max: 1000 }]));
            if (f.t !== 'sub') continue;
            subs.push(f);
            const reply =
              refusals-- > 0
                ? { t: 'err' as const, code: 'BROKER_UNAVAILABLE', msg: 'redis down', id: f.id, ch: f.ch }
                : { t: 'subd' as const, id: f.id, ch: f.ch, e: 'e1', o: 0, r: false };
            queueMicrotask(() => handlers!.onFrames([reply]));
          }
        },
        close: () => {},
      }),
    };
    const c = createCoreClient(
      { url: 'http://x', transports: ['websocket'], reconnect: { minDelay: 100, factor: 2, jitter: 0 } },
      { runtime: {}, factories: { websocket: factory } },
    );
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    const sub = c.subscribe('news');
    let ready = false;
    void sub.ready.then(() => (ready = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(subs).toHaveLength(1);
    expect(sub.state).toBe('subscribing');
    await vi.advanceTimersByTimeAsync(100);
    expect(subs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(subs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(subs).toHaveLength(3);
    expect(ready).toBe(true);
    expect(sub.state).toBe('subscribed');
    expect(errors).toEqual(['BROKER_UNAVAILABLE', 'BROKER_UNAVAILABLE']);
    c.close();
  });
});
