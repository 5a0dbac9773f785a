// The server side of SSE liveness (issue 4): an SSE client cannot answer on its stream, so it
// answers each heartbeat comment by POST; the server ends a stream silent for two heartbeat
// intervals (TIMEOUT, then `disconnect`) and keeps a quiet but healthy one — also when every POST
// lands on another server than the stream (Redis, no sticky sessions). A raw stream that pings is
// the clock: its comments count the ticks of the heartbeat wheel, so nothing waits on a sleep.
import { afterAll, describe, expect, it } from 'vitest';
import type { Broker } from '../../src/node/server/brokers/types.js';
import { memoryBroker, redisBroker, type AnywireServer } from '../../src/node/server/index.js';
import { startFaultProxy } from '../helpers/http-proxy.js';
import { deletePrefix, redisUrl, stopSpawnedRedis, testPrefix } from '../helpers/redis.js';
import { startRoundRobinProxy } from '../helpers/round-robin-proxy.js';
import { client, onCleanup, startServer } from '../helpers/server.js';
import { comments, openStream } from '../helpers/sse-reader.js';

afterAll(() => stopSpawnedRedis());

/** Short heartbeats where a test waits for a timeout; longer ones where it must survive a loaded machine. */
const hb = 250;
const steadyHb = 400;

/** Records every `disconnect`; `of(id)` resolves with the reason of one session's. */
function disconnects(server: AnywireServer) {
  const seen: { id: string; reason: string }[] = [];
  const waiting = new Map<string, (reason: string) => void>();
  server.on('disconnect', (e) => {
    seen.push(e);
    waiting.get(e.id)?.(e.reason);
  });
  return {
    seen,
    of: (id: string) => new Promise<string>((resolve) => waiting.set(id, resolve)),
  };
}

const nextConnection = (server: AnywireServer) => new Promise<string>((resolve) => server.once('connection', (e) => resolve(e.id)));

describe('SSE liveness on the server', () => {
  it('ends the stream of a client whose network went silent within about two heartbeat intervals', async () => {
    const { server, url } = await startServer({ heartbeatInterval: hb });
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const gone = disconnects(server);
    const connected = nextConnection(server);
    const c = client(`${proxy.origin}/anywire`, { transports: ['sse'], reconnect: false });
    await c.connect();
    const id = await connected;
    const reason = gone.of(id);
    // Nothing passes any more, and nothing is closed: no TCP error will tell the server.
    proxy.freezeAll();
    const frozenAt = Date.now();
    expect(await reason).toBe('TIMEOUT');
    // Two intervals of silence, noticed at the wheel's next tick (slack for a loaded machine).
    expect(Date.now() - frozenAt).toBeLessThan(3 * hb + 1000);
    expect(server.connectionCount).toBe(0);
  });

  it('keeps the stream of a quiet, healthy client: its pings by POST are its sign of life', async () => {
    const { server, url } = await startServer({ heartbeatInterval: steadyHb });
    const gone = disconnects(server);
    const c = client(url, { transports: ['sse'] });
    await c.connect();
    await c.subscribe('quiet').ready; // subscribed, and nothing is ever published
    const states: string[] = [];
    c.on('state', (e) => states.push(e.state));
    const { sse: clock } = await openStream(url, true);
    // Eight intervals: four times the silence after which a stream is ended.
    await clock.until(() => comments(clock) >= 8);
    expect(gone.seen).toEqual([]);
    expect(states).toEqual([]);
    expect(c.state).toBe('connected');
    expect(server.connectionCount).toBe(2);
  });

  it('never turns the POSTs of polling sessions into signals: only an SSE session id speaks for a stream', async () => {
    const broker = memoryBroker();
    const signalled: string[] = [];
    const signal = broker.signal!.bind(broker);
    broker.signal = (topic, data) => {
      signalled.push(data);
      return signal(topic, data);
    };
    const { url } = await startServer({ heartbeatInterval: hb, broker });
    const poller = client(url, { transports: ['long-polling'] });
    await poller.connect();
    for (let i = 0; i < 5; i++) await poller.publish('busy', i);
    // The clock's own POSTs are credited to its stream here; three ticks outlast the half-interval
    // window in which a polling session's id would have been sent on.
    const { sse: clock } = await openStream(url, true);
    await clock.until(() => comments(clock) >= 3);
    expect(signalled).toEqual([]);
  });

  it('keeps counting a written heartbeat as alive when the broker cannot carry signals', async () => {
    // A broker of another kind, spanning servers but without signal/onSignal: a POST landing
    // elsewhere could not be heard, so a silent stream must not be cut for silence.
    const inner = memoryBroker();
    const broker: Broker = {
      publish: (...a) => inner.publish(...a),
      history: (...a) => inner.history(...a),
      subscribe: (...a) => inner.subscribe(...a),
      unsubscribe: (...a) => inner.unsubscribe(...a),
      healthy: true,
      close: () => inner.close(),
    };
    const { server, url } = await startServer({ heartbeatInterval: hb, broker });
    const gone = disconnects(server);
    const { sse: silent } = await openStream(url, false);
    await silent.until(() => comments(silent) >= 6);
    expect(silent.ended).toBe(false);
    expect(gone.seen).toEqual([]);
  });
});

describe('SSE liveness across servers (Redis, no sticky sessions)', () => {
  it('keeps a stream on one server alive with POSTs that all land on the other', async () => {
    const redis = await redisUrl();
    const prefix = testPrefix();
    onCleanup(() => deletePrefix(redis, prefix));
    const a = await startServer({ heartbeatInterval: steadyHb, broker: redisBroker({ url: redis, keyPrefix: prefix }) });
    const b = await startServer({ heartbeatInterval: steadyHb, broker: redisBroker({ url: redis, keyPrefix: prefix }) });
    const proxy = await startRoundRobinProxy(a.port, b.port);
    onCleanup(() => proxy.close());
    proxy.pin('/sse', a.port);
    proxy.pin('/send', b.port);
    const goneA = disconnects(a.server);
    const goneB = disconnects(b.server);
    const c = client(`http://127.0.0.1:${proxy.port}${a.server.path}`, { transports: ['sse'] });
    await c.connect();
    const states: string[] = [];
    c.on('state', (e) => states.push(e.state));
    expect(a.server.connectionCount).toBe(1);
    const { sse: clock } = await openStream(a.url, true); // server A's wheel
    await clock.until(() => comments(clock) >= 8);
    expect(goneA.seen).toEqual([]);
    expect(goneB.seen).toEqual([]);
    expect(states).toEqual([]);
    expect(a.server.connectionCount).toBe(2);
    // The pings did go to B (and only there): A heard of them over Redis.
    expect(proxy.hits.get(b.port)).toBeGreaterThanOrEqual(4);

    // A client that went silent is still ended: credits come only from POSTs that arrive.
    const connected = nextConnection(a.server);
    const { sse: silent } = await openStream(a.url, false);
    const id = await connected;
    expect(await goneA.of(id)).toBe('TIMEOUT');
    await silent.until(() => silent.ended);
    expect(comments(silent)).toBeLessThanOrEqual(3);
  });
});
