// The core client against a fake transport: the "server" is the test, answering frames by hand.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Transport, TransportContext, TransportFactory, TransportHandlers, TransportName } from './transport.js';
import { createCoreClient, type Client } from './client.js';
import { AnywireError } from './errors.js';
import { cursorOf } from './transport.js';
import type { ClientFrame, ServerFrame } from './frames.js';
import type { ClientOptions } from './options.js';

const welcome: ServerFrame = { t: 'welcome', v: 2, sid: 'session-1', hb: 25_000, max: 1024 };

class FakeTransport implements Transport {
  readonly name: TransportName;
  readonly duplex = true;
  readonly sent: ClientFrame[] = [];
  closed = false;
  private handlers: TransportHandlers | undefined;

  constructor(
    private readonly net: FakeNetwork,
    readonly ctx: TransportContext,
  ) {
    this.name = net.name;
  }

  open(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    return Promise.resolve();
  }

  send(frames: ClientFrame[]): void {
    if (this.closed) return;
    this.sent.push(...frames);
    this.net.onSend(this, frames);
  }

  close(): void {
    this.closed = true;
  }

  /** The server sends a batch. */
  reply(...frames: ServerFrame[]): void {
    if (!this.closed) this.handlers!.onFrames(frames);
  }

  /** The network drops the link. */
  drop(reason = 'network gone'): void {
    this.closed = true;
    this.handlers!.onClose({ reason });
  }

  sentOf<T extends ClientFrame['t']>(t: T): Extract<ClientFrame, { t: T }>[] {
    return this.sent.filter((f): f is Extract<ClientFrame, { t: T }> => f.t === t);
  }
}

class FakeNetwork {
  readonly transports: FakeTransport[] = [];
  /** How the fake server answers `connect`: a welcome (default), an error frame, or silence. */
  handshake: ServerFrame | null = welcome;
  readonly factory: TransportFactory;

  constructor(readonly name: TransportName = 'websocket') {
    this.factory = {
      name,
      create: (ctx) => {
        const t = new FakeTransport(this, ctx);
        this.transports.push(t);
        return t;
      },
    };
  }

  get current(): FakeTransport {
    return this.transports[this.transports.length - 1]!;
  }

  onSend(t: FakeTransport, frames: ClientFrame[]): void {
    const answer = this.handshake;
    if (frames[0]?.t === 'connect' && answer) queueMicrotask(() => t.reply(answer));
  }
}

let net: FakeNetwork;
const clients: Client[] = [];

/** What the platform's reportError received (the fake runtime has one, as a browser does). */
let reported: unknown[] = [];

function makeClient(options: Partial<ClientOptions> = {}): Client {
  const c = createCoreClient(
    { url: 'http://fake.test/anywire', transports: [net.name], autoConnect: false, reconnect: { minDelay: 100, jitter: 0 }, ...options },
    { runtime: { reportError: (e) => reported.push(e) }, factories: { [net.name]: net.factory } },
  );
  clients.push(c);
  return c;
}

/** Confirms the latest `sub` frame for `ch` on the current transport. */
function confirm(
  ch: string,
  extra: { e?: string; o?: number; r?: boolean; gap?: 'history-trimmed' | 'history-lost' } = {},
  ...then: ServerFrame[]
) {
  const sub = net.current
    .sentOf('sub')
    .filter((f) => f.ch === ch)
    .pop()!;
  expect(sub).toBeDefined();
  const frame: ServerFrame = { t: 'subd', id: sub.id, ch, e: extra.e ?? 'ep1', o: extra.o ?? 0, r: extra.r ?? false };
  if (extra.gap) frame.gap = extra.gap;
  net.current.reply(frame, ...then);
}

/** For publishes a test does not await: close() in afterEach rejects them with CLOSED. */
const quiet = (p: Promise<unknown>) => void p.catch(() => {});

const msg = (ch: string, o: number, d: unknown = o): ServerFrame => ({ t: 'msg', ch, o, d });

beforeEach(() => {
  net = new FakeNetwork();
  reported = [];
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});

afterEach(() => {
  while (clients.length) clients.pop()!.close();
  vi.useRealTimers();
});

describe('handshake', () => {
  it('sends connect first, becomes connected on welcome and reports the transport', async () => {
    const c = makeClient({ token: 'secret' });
    const states: string[] = [];
    const transports: unknown[] = [];
    c.on('state', (e) => states.push(`${e.previous}→${e.state}`));
    c.on('transport', (e) => transports.push(e.transport));
    expect(c.state).toBe('disconnected');
    await c.connect();
    expect(net.current.sent[0]).toEqual({ t: 'connect', v: 2, token: 'secret' });
    expect(net.current.ctx.url).toBe('http://fake.test/anywire');
    expect(c.state).toBe('connected');
    expect(c.transport).toBe('websocket');
    expect(states).toEqual(['disconnected→connecting', 'connecting→connected']);
    expect(transports).toEqual(['websocket']);
    // A second connect() while connected resolves at once and opens nothing new.
    await c.connect();
    expect(net.transports).toHaveLength(1);
  });

  it('calls a token function on every (re)connect', async () => {
    let n = 0;
    const c = makeClient({ token: async () => `t${++n}` });
    await c.connect();
    expect(net.current.sent[0]).toEqual({ t: 'connect', v: 2, token: 't1' });
    net.current.drop();
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    expect(net.transports).toHaveLength(2);
    expect(net.current.sent[0]).toEqual({ t: 'connect', v: 2, token: 't2' });
  });

  it('omits the token when there is none', async () => {
    const c = makeClient();
    await c.connect();
    expect(net.current.sent[0]).toEqual({ t: 'connect', v: 2 });
  });

  it('rejects connect() with UNAUTHORIZED and stops when a static token is refused', async () => {
    net.handshake = { t: 'err', code: 'UNAUTHORIZED', msg: 'bad token' };
    const c = makeClient({ token: 'nope' });
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnywireError);
    expect((err as AnywireError).code).toBe('UNAUTHORIZED');
    expect(c.state).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(net.transports).toHaveLength(1);
  });

  it('rejects with TRANSPORTS_EXHAUSTED naming the rung when no welcome comes within connectTimeout', async () => {
    net.handshake = null;
    const c = makeClient({ connectTimeout: 1000, reconnect: false });
    const result = c.connect().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    const err = (await result) as AnywireError;
    expect(err.code).toBe('TRANSPORTS_EXHAUSTED');
    expect(err.message).toMatch(/websocket: no handshake within 1000 ms/);
    expect(net.current.closed).toBe(true);
    expect(c.state).toBe('disconnected');
  });
});

describe('subscriptions', () => {
  it('multiplexes subscriptions on one connection and resolves ready on subd', async () => {
    const c = makeClient();
    await c.connect();
    const a = c.subscribe('a');
    const b = c.subscribe('b');
    const a2 = c.subscribe('a');
    expect(net.current.sentOf('sub').map((f) => f.ch)).toEqual(['a', 'b']);
    confirm('a');
    confirm('b');
    await Promise.all([a.ready, b.ready, a2.ready]);
    expect([a.state, b.state, a2.state]).toEqual(['subscribed', 'subscribed', 'subscribed']);
  });

  it('sends subscriptions made before connecting once connected', async () => {
    const c = makeClient();
    const sub = c.subscribe('early');
    expect(sub.state).toBe('subscribing');
    await c.connect();
    expect(net.current.sentOf('sub')).toEqual([{ t: 'sub', id: expect.any(Number), ch: 'early', pc: expect.any(String) }]);
  });

  it('resubscribes from the last delivered offset after the transport closes', async () => {
    const c = makeClient();
    await c.connect();
    const got: number[] = [];
    const events: unknown[] = [];
    const sub = c.subscribe('chat', (_d, meta) => got.push(meta.offset));
    sub.on('subscribed', (e) => events.push(e));
    confirm('chat', { e: 'ep1', o: 0 }, msg('chat', 1), msg('chat', 2), msg('chat', 3));
    await sub.ready;
    expect(got).toEqual([1, 2, 3]);

    const first = net.current;
    first.drop('socket reset');
    expect(c.state).toBe('reconnecting');
    expect(sub.state).toBe('subscribing');
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    expect(net.current).not.toBe(first);
    expect(net.current.sentOf('sub')).toEqual([
      { t: 'sub', id: expect.any(Number), ch: 'chat', since: { e: 'ep1', o: 3 }, pc: expect.any(String) },
    ]);

    // The server replays 4 and 5; 3 arrives again and is dropped.
    confirm('chat', { e: 'ep1', o: 3, r: true }, msg('chat', 3), msg('chat', 4), msg('chat', 5));
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(sub.state).toBe('subscribed');
    expect(events).toEqual([
      { channel: 'chat', resumed: false },
      { channel: 'chat', resumed: true },
    ]);
  });

  it('backs off between failed attempts and stays reconnecting', async () => {
    const c = makeClient({ reconnect: { minDelay: 100, factor: 2, jitter: 0, maxDelay: 10_000 } });
    await c.connect();
    net.handshake = { t: 'err', code: 'SERVER_SHUTTING_DOWN', msg: 'busy' };
    net.current.drop();
    await vi.advanceTimersByTimeAsync(99);
    expect(net.transports).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // attempt 1 after 100 ms
    expect(net.transports).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(net.transports).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1); // attempt 2 after 200 ms more
    expect(net.transports).toHaveLength(3);
    expect(c.state).toBe('reconnecting');
    net.handshake = welcome;
    await vi.advanceTimersByTimeAsync(400);
    expect(c.state).toBe('connected');
  });

  it('emits gap before any message that follows it', async () => {
    const c = makeClient();
    await c.connect();
    const log: string[] = [];
    const sub = c.subscribe('chat', (_d, meta) => log.push(`msg ${meta.offset}`));
    sub.on('gap', (e) => log.push(`gap ${e.reason} after ${e.lastOffset}`));
    sub.on('subscribed', (e) => log.push(`subscribed resumed=${e.resumed}`));
    confirm('chat', {}, msg('chat', 1), msg('chat', 2));
    net.current.drop();
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    // History was trimmed past offset 2: the server says so and continues after 10.
    confirm('chat', { o: 10, gap: 'history-trimmed' }, msg('chat', 11));
    expect(log).toEqual([
      'subscribed resumed=false',
      'msg 1',
      'msg 2',
      'gap history-trimmed after 2',
      'subscribed resumed=false',
      'msg 11',
    ]);
  });

  it('after history-lost (new epoch) offsets may start again and are delivered', async () => {
    const c = makeClient();
    await c.connect();
    const got: number[] = [];
    const gaps: unknown[] = [];
    const sub = c.subscribe('chat', (_d, meta) => got.push(meta.offset));
    sub.on('gap', (e) => gaps.push(e));
    confirm('chat', { e: 'old' }, msg('chat', 1), msg('chat', 2), msg('chat', 3));
    net.current.drop();
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    expect(net.current.sentOf('sub')[0]!.since).toEqual({ e: 'old', o: 3 });
    confirm('chat', { e: 'new', o: 0, gap: 'history-lost' }, msg('chat', 1), msg('chat', 2));
    expect(gaps).toEqual([{ channel: 'chat', reason: 'history-lost', lastOffset: 3 }]);
    expect(got).toEqual([1, 2, 3, 1, 2]);
  });

  it('drops messages at or below the last delivered offset', async () => {
    const c = makeClient();
    await c.connect();
    const got: unknown[] = [];
    c.subscribe('chat', (d) => got.push(d));
    confirm('chat', {}, msg('chat', 1, 'a'), msg('chat', 2, 'b'), msg('chat', 2, 'b again'), msg('chat', 1, 'a again'));
    net.current.reply(msg('chat', 3, 'c'), msg('chat', 3, 'c again'), msg('chat', 2, 'old'), msg('chat', 4, 'd'));
    expect(got).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ignores messages before the subscription is confirmed and for unknown channels', async () => {
    const c = makeClient();
    await c.connect();
    const got: unknown[] = [];
    c.subscribe('chat', (d) => got.push(d));
    net.current.reply(msg('chat', 1, 'too early'), msg('other', 1, 'not mine'));
    confirm('chat', { o: 1 }, msg('chat', 2, 'ok'));
    expect(got).toEqual(['ok']);
  });

  it('a FORBIDDEN error frame rejects ready and ends the subscription', async () => {
    const c = makeClient();
    await c.connect();
    const sub = c.subscribe('secret');
    const id = net.current.sentOf('sub')[0]!.id;
    net.current.reply({ t: 'err', code: 'FORBIDDEN', msg: 'no', id, ch: 'secret' });
    await expect(sub.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(sub.state).toBe('unsubscribed');
  });

  it('an invalid channel name rejects ready with BAD_REQUEST without a frame', async () => {
    const c = makeClient();
    await c.connect();
    const sub = c.subscribe('no spaces allowed');
    await expect(sub.ready).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(net.current.sentOf('sub')).toEqual([]);
  });

  it('unsubscribe of the last subscription sends unsub and stops delivery', async () => {
    const c = makeClient();
    await c.connect();
    const got: unknown[] = [];
    const a = c.subscribe('chat', (d) => got.push(`a${String(d)}`));
    const b = c.subscribe('chat', (d) => got.push(`b${String(d)}`));
    confirm('chat', {}, msg('chat', 1));
    a.unsubscribe();
    expect(net.current.sentOf('unsub')).toEqual([]);
    net.current.reply(msg('chat', 2));
    b.unsubscribe();
    expect(net.current.sentOf('unsub')).toEqual([{ t: 'unsub', ch: 'chat' }]);
    net.current.reply(msg('chat', 3));
    expect(got).toEqual(['a1', 'b1', 'b2']);
    expect(a.state).toBe('unsubscribed');
  });
});

describe('publish', () => {
  it('resolves with the offset of the ack', async () => {
    const c = makeClient();
    await c.connect();
    const p = c.publish('chat', { text: 'hi' });
    const [frame] = net.current.sentOf('pub');
    expect(frame).toEqual({ t: 'pub', id: expect.any(String), ch: 'chat', d: { text: 'hi' } });
    net.current.reply({ t: 'ack', id: frame!.id, o: 7 });
    await expect(p).resolves.toEqual({ offset: 7 });
  });

  it('gives every publish a distinct id', async () => {
    const c = makeClient();
    await c.connect();
    for (let i = 0; i < 50; i++) quiet(c.publish('chat', i));
    const ids = new Set(net.current.sentOf('pub').map((f) => f.id));
    expect(ids.size).toBe(50);
  });

  it('rejects with the code of an error frame that answers it', async () => {
    const c = makeClient();
    await c.connect();
    const p = c.publish('chat', 1);
    const id = net.current.sentOf('pub')[0]!.id;
    net.current.reply({ t: 'err', code: 'FORBIDDEN', msg: 'not allowed', id, ch: 'chat' });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnywireError);
    expect(err).toMatchObject({ code: 'FORBIDDEN', message: 'not allowed' });
  });

  it('rejects with TIMEOUT when no ack arrives within publishTimeout', async () => {
    const c = makeClient({ publishTimeout: 3000 });
    await c.connect();
    const p = c.publish('chat', 1);
    const settled = vi.fn();
    p.then(settled, settled);
    await vi.advanceTimersByTimeAsync(2999);
    expect(settled).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT' });
    // A late ack is ignored.
    net.current.reply({ t: 'ack', id: net.current.sentOf('pub')[0]!.id, o: 1 });
  });

  it('rejects oversize data locally with PAYLOAD_TOO_LARGE once the limit is known', async () => {
    const c = makeClient();
    await c.connect();
    await expect(c.publish('chat', 'x'.repeat(1024))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(c.publish('chat', new Uint8Array(1025))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // 1022 characters + 2 quotes = 1024 bytes: exactly the limit is fine. UTF-8 bytes are counted.
    quiet(c.publish('chat', 'x'.repeat(1022)));
    await expect(c.publish('chat', 'é'.repeat(512))).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(net.current.sentOf('pub')).toHaveLength(1);
  });

  it('rejects an invalid channel and non-JSON data with BAD_REQUEST', async () => {
    const c = makeClient();
    await c.connect();
    await expect(c.publish('bad channel', 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(c.publish('chat', undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(c.publish('chat', cyclic)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(c.publish('chat', 10n)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('sends binary data as "b" (Uint8Array and ArrayBuffer)', async () => {
    const c = makeClient();
    await c.connect();
    quiet(c.publish('bin', new Uint8Array([1, 2, 3])));
    quiet(c.publish('bin', new Uint8Array([4, 5]).buffer));
    const [a, b] = net.current.sentOf('pub');
    expect(a!.b).toEqual(new Uint8Array([1, 2, 3]));
    expect(b!.b).toEqual(new Uint8Array([4, 5]));
    expect(a!.d).toBeUndefined();
  });

  it('sends the bytes as they were at publish(), even if the app reuses its buffer while the publish is queued', async () => {
    const c = makeClient();
    const bytes = new Uint8Array([1, 2, 3]);
    const buffer = new Uint8Array([4, 5]).buffer;
    quiet(c.publish('bin', bytes));
    quiet(c.publish('bin', buffer));
    bytes.fill(9);
    new Uint8Array(buffer).fill(9);
    await c.connect();
    expect(net.current.sentOf('pub').map((f) => [...f.b!])).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('queues while disconnected and resends unacknowledged publishes with the same id after a reconnect', async () => {
    const c = makeClient();
    const queued = c.publish('chat', 'queued');
    await c.connect();
    const first = net.current.sentOf('pub');
    expect(first.map((f) => f.d)).toEqual(['queued']);
    const inflight = c.publish('chat', 'in flight');
    const ids = net.current.sentOf('pub').map((f) => f.id);
    net.current.drop();
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    const resent = net.current.sentOf('pub');
    expect(resent.map((f) => f.id)).toEqual(ids);
    net.current.reply({ t: 'ack', id: ids[0]!, o: 1 }, { t: 'ack', id: ids[1]!, o: 2 });
    await expect(queued).resolves.toEqual({ offset: 1 });
    await expect(inflight).resolves.toEqual({ offset: 2 });
  });

  it('close() rejects pending publishes with CLOSED and later publishes too', async () => {
    const c = makeClient();
    await c.connect();
    const p = c.publish('chat', 1);
    c.close();
    await expect(p).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(c.publish('chat', 2)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(c.state).toBe('disconnected');
    expect(c.transport).toBeNull();
    expect(net.current.closed).toBe(true);
  });
});

describe('liveness', () => {
  it('answers a server ping with pong', async () => {
    const c = makeClient();
    await c.connect();
    net.current.reply({ t: 'ping' });
    expect(net.current.sentOf('pong')).toHaveLength(1);
  });

  it('treats two silent heartbeat intervals as a dead link and reconnects', async () => {
    const c = makeClient();
    await c.connect();
    const first = net.current;
    await vi.advanceTimersByTimeAsync(2 * 25_000 + 1000 + 12_500);
    expect(first.closed).toBe(true);
    expect(net.transports.length).toBeGreaterThan(1);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
  });

  it('close() stops reconnecting', async () => {
    const c = makeClient();
    await c.connect();
    net.current.drop();
    expect(c.state).toBe('reconnecting');
    c.close();
    expect(c.state).toBe('disconnected');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(net.transports).toHaveLength(1);
  });
});

describe('application code cannot break delivery', () => {
  type Kind = 'state' | 'transport' | 'error' | 'subscribed' | 'gap' | 'handler';
  const kinds: Kind[] = ['state', 'transport', 'error', 'subscribed', 'gap', 'handler'];

  /**
   * A connect, a replayed batch, a drop, a resubscribe with replay, a gap and a skipped offset, with
   * the listeners of `throwing` throwing on every call (and every listener recording first).
   */
  async function run(throwing: readonly Kind[]) {
    const c = makeClient();
    const got: number[] = [];
    const errors: AnywireError[] = [];
    const boom = (kind: Kind) => {
      if (throwing.includes(kind)) throw new Error(`${kind} boom`);
    };
    c.on('state', () => boom('state'));
    c.on('transport', () => boom('transport'));
    c.on('error', (e) => {
      errors.push(e);
      boom('error');
    });
    const sub = c.subscribe('chat', (_d, meta) => {
      got.push(meta.offset);
      boom('handler');
    });
    sub.on('subscribed', () => boom('subscribed'));
    sub.on('gap', () => boom('gap'));
    await c.connect();
    expect(c.state).toBe('connected');
    confirm('chat', { e: 'ep', o: 0 }, msg('chat', 1), msg('chat', 2), msg('chat', 3));
    await sub.ready;
    // A publish still round-trips: nothing is wedged.
    const p = c.publish('chat', 'x');
    net.current.reply({ t: 'ack', id: net.current.sentOf('pub')[0]!.id, o: 4 }, msg('chat', 4));
    await expect(p).resolves.toEqual({ offset: 4 });
    // A diagnostic about the connection reaches the `error` listeners.
    net.current.reply({ t: 'err', code: 'RATE_LIMITED', msg: 'slow down' });

    net.current.drop();
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    expect(net.current.sentOf('sub')).toEqual([
      { t: 'sub', id: expect.any(Number), ch: 'chat', since: { e: 'ep', o: 4 }, pc: expect.any(String) },
    ]);
    confirm('chat', { e: 'ep', o: 4, r: true }, msg('chat', 4), msg('chat', 5), msg('chat', 6));
    // A skipped offset: the client resumes from 6 and the replay fills the hole.
    net.current.reply(msg('chat', 8));
    expect(net.current.sentOf('sub').at(-1)!.since).toEqual({ e: 'ep', o: 6 });
    confirm('chat', { e: 'ep', o: 6, r: true }, msg('chat', 7), msg('chat', 8));
    // A gap on the next reconnect: reported, then delivery goes on.
    net.current.drop();
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    confirm('chat', { e: 'ep', o: 20, gap: 'history-trimmed' }, msg('chat', 21));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 21]);
    expect(sub.state).toBe('subscribed');
    expect(c.state).toBe('connected');
    // The watchdog still runs: a silent link is noticed.
    const silent = net.current;
    await vi.advanceTimersByTimeAsync(2 * 25_000 + 1000 + 12_500);
    expect(silent.closed).toBe(true);
    await vi.waitFor(() => expect(c.state).toBe('connected'));
    return { c, errors };
  }

  it('with every listener and handler quiet, no error is reported', async () => {
    const { errors } = await run([]);
    expect(errors.filter((e) => e.code === 'LISTENER_ERROR')).toEqual([]);
    expect(reported).toEqual([]);
  });

  it.each(kinds)('a throwing %s listener loses nothing and wedges nothing; the throw is reported', async (kind) => {
    const { errors } = await run([kind]);
    const listenerErrors = errors.filter((e) => e.code === 'LISTENER_ERROR');
    if (kind !== 'error') {
      expect(listenerErrors.length).toBeGreaterThan(0);
      expect((listenerErrors[0]!.cause as Error).message).toBe(`${kind} boom`);
    }
    // The platform's reportError gets the app's own throw, every time.
    expect(reported.length).toBeGreaterThan(0);
    expect(reported.every((e) => (e as Error).message === `${kind} boom`)).toBe(true);
  });

  it('every listener and handler throwing at once loses nothing', async () => {
    await run(kinds);
    expect(reported.length).toBeGreaterThan(5);
  });

  it('a listener that closes the client during connect leaves no link, no timer and a CLOSED ready', async () => {
    const c = makeClient();
    const sub = c.subscribe('chat');
    c.on('state', ({ state }) => {
      if (state === 'connected') c.close();
    });
    await c.connect().catch(() => {});
    expect(c.state).toBe('disconnected');
    await expect(sub.ready).rejects.toMatchObject({ code: 'CLOSED' });
    expect(vi.getTimerCount()).toBe(0);
    expect(net.current.closed).toBe(true);
  });

  it('a subscribed listener that unsubscribes another subscription of the batch leaves the rest delivered', async () => {
    const c = makeClient();
    await c.connect();
    const got: string[] = [];
    const a = c.subscribe('chat', (_d, m) => got.push(`a${m.offset}`));
    const b = c.subscribe('chat', (_d, m) => got.push(`b${m.offset}`));
    a.on('subscribed', () => {
      b.unsubscribe();
      throw new Error('after unsubscribe');
    });
    confirm('chat', {}, msg('chat', 1), msg('chat', 2));
    expect(got).toEqual(['a1', 'a2']);
    await expect(b.ready).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('without reportError (Node), a throw nobody hears on `error` is rethrown asynchronously', async () => {
    const tasks: (() => void)[] = [];
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => void tasks.push(fn));
    try {
      const c = createCoreClient({ url: 'http://fake.test/anywire', autoConnect: false }, { runtime: {}, factories: {} });
      clients.push(c);
      c.once('state', () => {
        throw new Error('unheard');
      });
      void c.connect().catch(() => {});
      const thrown = tasks.map((fn) => {
        try {
          fn();
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(thrown).toContain('unheard');
      // Heard on `error`: no rethrow.
      tasks.length = 0;
      const d = createCoreClient({ url: 'http://fake.test/anywire', autoConnect: false }, { runtime: {}, factories: {} });
      clients.push(d);
      d.on('error', () => {});
      d.once('state', () => {
        throw new Error('heard');
      });
      void d.connect().catch(() => {});
      expect(
        tasks.some((fn) => {
          try {
            fn();
            return false;
          } catch (e) {
            return (e as Error).message === 'heard';
          }
        }),
      ).toBe(false);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('hole detection', () => {
  it('a skipped offset resumes from the last delivered one; the replay fills the hole exactly once', async () => {
    const c = makeClient();
    await c.connect();
    const got: number[] = [];
    const gaps: unknown[] = [];
    const sub = c.subscribe('chat', (_d, m) => got.push(m.offset));
    sub.on('gap', (g) => gaps.push(g));
    confirm('chat', { e: 'ep', o: 0 }, msg('chat', 1), msg('chat', 2));
    net.current.reply(msg('chat', 4), msg('chat', 5));
    expect(got).toEqual([1, 2]);
    expect(sub.state).toBe('subscribing');
    const resume = net.current.sentOf('sub').at(-1)!;
    expect(resume.since).toEqual({ e: 'ep', o: 2 });
    // Live messages of the old subscription before the new subd are not delivered out of order.
    net.current.reply(msg('chat', 6));
    confirm('chat', { e: 'ep', o: 2, r: true }, msg('chat', 3), msg('chat', 4), msg('chat', 5), msg('chat', 6));
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    expect(gaps).toEqual([]);
    expect(sub.state).toBe('subscribed');
  });

  it('a hole that history does not fill either is reported as a gap, then delivery goes on', async () => {
    const c = makeClient();
    await c.connect();
    const log: string[] = [];
    const sub = c.subscribe('chat', (_d, m) => log.push(`msg ${m.offset}`));
    sub.on('gap', (g) => log.push(`gap ${g.reason} after ${g.lastOffset}`));
    confirm('chat', { e: 'ep', o: 0 }, msg('chat', 1));
    net.current.reply(msg('chat', 3));
    confirm('chat', { e: 'ep', o: 1, r: true }, msg('chat', 3), msg('chat', 4));
    expect(log).toEqual(['msg 1', 'gap history-trimmed after 1', 'msg 3', 'msg 4']);
    // Only one resume was asked for.
    expect(net.current.sentOf('sub')).toHaveLength(2);
  });
});

describe('close() settles everything and leaves no timer', () => {
  it('connected with subscriptions, pending publishes and a refused subscription retrying', async () => {
    const c = makeClient();
    await c.connect();
    const confirmed = c.subscribe('a');
    confirm('a');
    await confirmed.ready;
    const pending = c.subscribe('b');
    const retrying = c.subscribe('c');
    const id = net.current.sentOf('sub').find((f) => f.ch === 'c')!.id;
    net.current.reply({ t: 'err', code: 'BROKER_UNAVAILABLE', msg: 'down', id, ch: 'c' });
    const p = c.publish('a', 1);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    c.close();
    await expect(pending.ready).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(retrying.ready).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(p).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(confirmed.ready).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('while reconnecting, while connecting and on a lower rung probing the higher ones', async () => {
    const c = makeClient();
    await c.connect();
    net.current.drop();
    expect(c.state).toBe('reconnecting');
    c.close();
    expect(vi.getTimerCount()).toBe(0);

    net.handshake = null; // the handshake never completes: the connect timeout is armed
    const d = makeClient();
    const sub = d.subscribe('x');
    const attempt = d.connect().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    d.close();
    expect(await attempt).toMatchObject({ code: 'CLOSED' });
    await expect(sub.ready).rejects.toMatchObject({ code: 'CLOSED' });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a later connect() resumes the subscriptions from their positions', async () => {
    const c = makeClient();
    await c.connect();
    const got: number[] = [];
    c.subscribe('chat', (_d, m) => got.push(m.offset));
    confirm('chat', { e: 'ep', o: 0 }, msg('chat', 1));
    c.close();
    await c.connect();
    expect(net.current.sentOf('sub')).toEqual([
      { t: 'sub', id: expect.any(Number), ch: 'chat', since: { e: 'ep', o: 1 }, pc: expect.any(String) },
    ]);
  });
});

describe('TRANSPORTS_EXHAUSTED', () => {
  it('carries every rung tried and its AnywireError', async () => {
    net.handshake = { t: 'err', code: 'SERVER_SHUTTING_DOWN', msg: 'busy' };
    const c = createCoreClient(
      { url: 'http://fake.test/anywire', transports: ['websocket', 'sse'], autoConnect: false, reconnect: false },
      { runtime: {}, factories: { websocket: net.factory } },
    );
    clients.push(c);
    c.on('error', () => {});
    const err = (await c.connect().catch((e: unknown) => e)) as AnywireError;
    expect(err.code).toBe('TRANSPORTS_EXHAUSTED');
    expect(err.failures?.map((f) => [f.transport, f.error.code])).toEqual([
      ['websocket', 'SERVER_SHUTTING_DOWN'],
      ['sse', 'PROTOCOL_ERROR'],
    ]);
    expect(err.failures?.every((f) => f.error instanceof AnywireError)).toBe(true);
    expect(err.message).toMatch(/websocket: busy; sse: not included in this build/);
  });
});

describe('liveness per transport and the bounded outbox', () => {
  it('short polling with a pollInterval of 3× the heartbeat is not taken for dead', async () => {
    net = new FakeNetwork('polling');
    const c = makeClient({ pollInterval: 75_000 });
    await c.connect();
    const link = net.current;
    // The server answers each poll (an empty batch) once per pollInterval.
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(75_000);
      link.reply();
    }
    expect(link.closed).toBe(false);
    expect(net.transports).toHaveLength(1);
    // Silence past pollInterval + two heartbeats is still a dead link.
    await vi.advanceTimersByTimeAsync(75_000 + 2 * 25_000 + 1000 + 12_500);
    expect(link.closed).toBe(true);
  });

  it('at most maxQueuedPublishes wait for their ack, in flight or queued', async () => {
    const c = makeClient({ maxQueuedPublishes: 2 });
    await c.connect();
    quiet(c.publish('a', 1));
    quiet(c.publish('a', 2));
    await expect(c.publish('a', 3)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(net.current.sentOf('pub')).toHaveLength(2);
  });

  it('a publish that timed out is not sent on a later link', async () => {
    const c = makeClient({ publishTimeout: 1000 });
    const p = c.publish('a', 1).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await p).toMatchObject({ code: 'TIMEOUT' });
    await c.connect();
    expect(net.current.sentOf('pub')).toEqual([]);
  });
});

describe('positions for the HTTP transports', () => {
  it('the transport reads the live positions of the one owner; cursorOf makes them cursor entries', async () => {
    const c = makeClient();
    await c.connect();
    c.subscribe('a');
    c.subscribe('b');
    const positions = net.current.ctx.positions!;
    const idOf = (ch: string) =>
      net.current
        .sentOf('sub')
        .filter((f) => f.ch === ch)
        .pop()!.id;
    // Every entry carries the client's presence id, as its `sub` frame does (a rebuilt session keeps it).
    const pc = net.current.sentOf('sub')[0]!.pc;
    expect(pc).toEqual(expect.any(String));
    expect(cursorOf(positions())).toEqual([
      { id: idOf('a'), ch: 'a', pc },
      { id: idOf('b'), ch: 'b', pc },
    ]);
    confirm('a', { e: 'ep', o: 4 }, msg('a', 5));
    expect(cursorOf(positions())).toEqual([
      { id: idOf('a'), ch: 'a', since: { e: 'ep', o: 5 }, q: true, pc },
      { id: idOf('b'), ch: 'b', pc },
    ]);
    net.current.drop();
    expect(cursorOf(positions())[0]).toEqual({ id: idOf('a'), ch: 'a', since: { e: 'ep', o: 5 }, pc });
  });
});
