// Presence across servers on real Redis: the same member list on every server, each join and leave
// seen once on every server, and the members of a server killed with SIGKILL leaving within the
// bound (their records expire; nothing sweeps Redis as a whole).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { PresenceMember, Subscription } from '../../src/node/index.js';
import { redisBroker } from '../../src/node/server/index.js';
import { deletePrefix, redisUrl, stopSpawnedRedis, testPrefix, TEST_SECRET } from '../helpers/redis.js';
import { startRoundRobinProxy } from '../helpers/round-robin-proxy.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { client, onCleanup, startServer } from '../helpers/server.js';

afterAll(async () => {
  if (bundled) rmSync(await bundled, { force: true });
  await stopSpawnedRedis();
});

const grace = 1500;
const hb = 400;
const bound = grace + Math.min(1000, grace / 10) + Math.min(hb, grace / 4) + 2 * hb + 1500;
const fast = { reconnect: { minDelay: 20, maxDelay: 200 }, pollInterval: 100 } as const;
const counts = (members: PresenceMember[]) => Object.fromEntries(members.map((m) => [m.id, m.connections]).sort());

function events(sub: Subscription) {
  const got: string[] = [];
  sub.on('join', ({ member }) => got.push(`join:${member.id}`));
  sub.on('leave', ({ member }) => got.push(`leave:${member.id}`));
  return got;
}

/** Bundles presence-child.ts (packages left external, resolved from this tree's node_modules). */
let bundled: Promise<string> | undefined;
function childScript(): Promise<string> {
  bundled ??= (async () => {
    const dir = join(process.cwd(), 'node_modules', '.cache', 'anywire-presence-test');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `child-${process.pid}.mjs`);
    await build({
      entryPoints: ['test/helpers/presence-child.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  })();
  return bundled;
}

async function childServer(url: string, prefix: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [await childScript(), url, prefix, String(grace), String(hb), TEST_SECRET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`child server exited with ${code}`)));
  });
  return { port, child };
}

describe('presence on Redis, two servers', () => {
  it('the same list on both servers behind a non-sticky proxy; a SIGKILLed server’s members leave within the bound', async () => {
    const url = await redisUrl();
    const prefix = testPrefix();
    onCleanup(() => deletePrefix(url, prefix));
    const a = await startServer({
      broker: redisBroker({ url, keyPrefix: prefix }),
      secret: TEST_SECRET,
      presence: true,
      presenceGrace: grace,
      heartbeatInterval: hb,
      authenticate: ({ token }) => (token ? { id: token } : null),
    });
    const b = await childServer(url, prefix);
    const bUrl = `http://127.0.0.1:${b.port}/anywire`;
    const proxy = await startRoundRobinProxy(a.port, b.port);
    onCleanup(() => proxy.close());
    const viaProxy = `http://127.0.0.1:${proxy.port}/anywire`;

    // A watcher on each server.
    const wa = client(a.url, { token: 'watch-a', transports: ['websocket'] }).subscribe('room');
    const onA = events(wa);
    await wa.ready;
    const wb = client(bUrl, { token: 'watch-b', transports: ['websocket'] }).subscribe('room');
    const onB = events(wb);
    await wb.ready;

    // Clients whose every request may land on either server, and one that lives on B only.
    const polling = client(viaProxy, { token: 'pat', transports: ['polling'], ...fast });
    const longPolling = client(viaProxy, { token: 'lou', transports: ['long-polling'], ...fast });
    const pat2 = client(viaProxy, { token: 'pat', transports: ['sse'], ...fast });
    const onlyB = client(bUrl, { token: 'bea', transports: ['websocket'], reconnect: false });
    // dan is on B through a TCP proxy that a slow failover will point at A.
    const failover = await startTcpProxy(b.port);
    onCleanup(() => failover.close());
    const dan = client(`http://127.0.0.1:${failover.port}/anywire`, { token: 'dan', transports: ['websocket'], ...fast });
    await Promise.all([polling, longPolling, pat2, onlyB, dan].map((c) => c.subscribe('room').ready));

    const expected = { bea: 1, dan: 1, lou: 1, pat: 2, 'watch-a': 1, 'watch-b': 1 };
    await vi.waitFor(async () => expect(counts(await a.server.presence('room'))).toEqual(expected), { timeout: 10_000, interval: 100 });
    await vi.waitFor(async () => expect(counts(await wb.presence())).toEqual(expected), { timeout: 10_000, interval: 100 });
    expect(counts(await wa.presence())).toEqual(expected);
    const joins = ['join:bea', 'join:dan', 'join:lou', 'join:pat', 'join:watch-b'];
    await vi.waitFor(() => {
      expect([...onA].sort()).toEqual(joins);
      expect([...onB].sort()).toEqual(['join:bea', 'join:dan', 'join:lou', 'join:pat']);
    });

    // B dies without a goodbye: bea (only on B) and watch-b leave on A, once each, within the bound;
    // the clients that went through the proxy carry on with A alone and stay.
    proxy.setTargets(a.port);
    failover.setTargets();
    const killedAt = Date.now();
    b.child.kill('SIGKILL');
    // A slow failover: dan reaches A only after most of the grace; still neither leave nor join.
    await new Promise((r) => setTimeout(r, grace * 0.8));
    failover.setTargets(a.port);
    await vi.waitFor(() => expect(onA.filter((e) => e.startsWith('leave')).sort()).toEqual(['leave:bea', 'leave:watch-b']), {
      timeout: bound + 5000,
      interval: 50,
    });
    expect(Date.now() - killedAt).toBeLessThanOrEqual(bound + 2 * hb);
    // pat's SSE stream was on B: it reconnects to A (the same presence connection, no leave).
    await vi.waitFor(async () => expect(counts(await a.server.presence('room'))).toEqual({ dan: 1, lou: 1, pat: 2, 'watch-a': 1 }), {
      timeout: 10_000,
      interval: 100,
    });
    await new Promise((r) => setTimeout(r, bound)); // long enough for a wrong leave of pat or lou
    expect(onA.filter((e) => e.startsWith('leave')).sort()).toEqual(['leave:bea', 'leave:watch-b']);
    expect(counts(await a.server.presence('room'))).toEqual({ dan: 1, lou: 1, pat: 2, 'watch-a': 1 });
    expect(onA.filter((e) => e.startsWith('join'))).toHaveLength(5);
  });

  it('a graceful close: the clients that move to the other server are neither leave nor join', async () => {
    const url = await redisUrl();
    const prefix = testPrefix();
    onCleanup(() => deletePrefix(url, prefix));
    const options = {
      secret: TEST_SECRET,
      presence: true,
      presenceGrace: grace,
      heartbeatInterval: hb,
      shutdownRetryAfter: 20,
      authenticate: ({ token }: { token: string | undefined }) => (token ? { id: token } : null),
    };
    const a = await startServer({ broker: redisBroker({ url, keyPrefix: prefix }), ...options });
    const b = await startServer({ broker: redisBroker({ url, keyPrefix: prefix }), ...options });
    const watcher = client(b.url, { token: 'watcher', transports: ['websocket'] }).subscribe('room');
    const got = events(watcher);
    await watcher.ready;
    const proxy = await startTcpProxy(a.port);
    onCleanup(() => proxy.close());
    const via = `http://127.0.0.1:${proxy.port}/anywire`;
    const movers = (['websocket', 'sse'] as const).map((t) => client(via, { token: `m-${t}`, transports: [t], ...fast }));
    await Promise.all(movers.map((c) => c.subscribe('room').ready));
    await vi.waitFor(() => expect(got.sort()).toEqual(['join:m-sse', 'join:m-websocket']));
    proxy.setTargets(b.port);
    await a.server.close();
    await vi.waitFor(async () => expect(counts(await b.server.presence('room'))).toEqual({ 'm-sse': 1, 'm-websocket': 1, watcher: 1 }), {
      timeout: 10_000,
      interval: 100,
    });
    await new Promise((r) => setTimeout(r, bound)); // long enough for a wrong leave
    expect(got).toHaveLength(2);
    expect(counts(await b.server.presence('room'))).toEqual({ 'm-sse': 1, 'm-websocket': 1, watcher: 1 });
  });
  it('a polling client whose next request lands on a server without its session (rebuilt from the cursor) is neither leave nor join', async () => {
    const url = await redisUrl();
    const prefix = testPrefix();
    onCleanup(() => deletePrefix(url, prefix));
    const options = {
      secret: TEST_SECRET,
      presence: true,
      presenceGrace: grace,
      heartbeatInterval: hb,
      authenticate: ({ token }: { token: string | undefined }) => (token ? { id: token } : null),
    };
    const a = await startServer({ broker: redisBroker({ url, keyPrefix: prefix }), ...options });
    const b = await startServer({ broker: redisBroker({ url, keyPrefix: prefix }), ...options });
    const watcher = client(b.url, { token: 'watcher', transports: ['websocket'] }).subscribe('room');
    const got = events(watcher);
    await watcher.ready;
    const proxy = await startTcpProxy(a.port);
    onCleanup(() => proxy.close());
    const poller = client(`http://127.0.0.1:${proxy.port}/anywire`, { token: 'pat', transports: ['polling'], ...fast });
    await poller.subscribe('room', () => {}, { presence: { name: 'Pat' } }).ready;
    await vi.waitFor(() => expect(got).toEqual(['join:pat']));
    // Every later request goes to B, which never saw the session: it rebuilds it from the signed id
    // and the cursor, which must carry the presence connection, or A's copy expires into a leave.
    let handshakesOnB = 0;
    b.server.on('connection', () => handshakesOnB++);
    proxy.setTargets(b.port);
    proxy.cutAll();
    await new Promise((r) => setTimeout(r, bound)); // long enough for a wrong leave
    expect(poller.state).toBe('connected');
    expect(handshakesOnB).toBe(0); // B rebuilt the session; the client never connected again
    expect(got).toEqual(['join:pat']);
    const members = await b.server.presence('room');
    expect(counts(members)).toEqual({ pat: 1, watcher: 1 });
    expect(members.find((m) => m.id === 'pat')?.data).toEqual({ name: 'Pat' });
  });
});
