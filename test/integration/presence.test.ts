// Presence on every transport: members (an identity with several tabs is one member), join once
// per member, no leave/join across a proxy cut or a fallback, and one leave within the bound
// after the last tab closes. Short presenceGrace and heartbeats keep it quick.
import { describe, expect, it, vi } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import type { Client } from '../../src/core/client.js';
import type { PresenceMember, Subscription } from '../../src/node/index.js';
import type { AnywireServer, ServerOptions } from '../../src/node/server/index.js';
import { startFaultProxy } from '../helpers/http-proxy.js';
import { client, onCleanup, startServer, waitForState } from '../helpers/server.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];
const grace = 1500;
const hb = 400;
/** A leave may come this long after the last sign of life: grace, its slack, a sweep tick, two heartbeats, and room for a loaded machine. */
const bound = grace + Math.min(1000, grace / 10) + Math.min(hb, grace / 4) + 2 * hb + 1500;

const serverOptions: ServerOptions = {
  presence: (ch) => ch.startsWith('room'),
  presenceGrace: grace,
  heartbeatInterval: hb,
  authenticate: ({ token }) => (token ? { id: token, name: token.toUpperCase() } : null),
};

/** Records the join/leave events of a subscription. */
function events(sub: Subscription) {
  const got: { kind: 'join' | 'leave'; id: string; at: number }[] = [];
  sub.on('join', ({ member }) => got.push({ kind: 'join', id: member.id, at: Date.now() }));
  sub.on('leave', ({ member }) => got.push({ kind: 'leave', id: member.id, at: Date.now() }));
  return got;
}

const counts = (members: PresenceMember[]) => Object.fromEntries(members.map((m) => [m.id, m.connections]).sort());

async function settle(server: AnywireServer, expected: Record<string, number>) {
  await vi.waitFor(async () => expect(counts(await server.presence('room'))).toEqual(expected), { timeout: bound + 5000, interval: 100 });
}

/** No event for a while: long enough for a wrong leave to have fired. */
const quiet = () => new Promise((r) => setTimeout(r, bound));

describe.each(transports)('presence over %s', (transport) => {
  it('two identities and a second tab; no leave/join on a proxy cut; one leave within the bound', async () => {
    const { server, url } = await startServer(serverOptions);
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const via = `${proxy.origin}/anywire`;
    const fast = { transports: [transport], pollInterval: 100, reconnect: { minDelay: 20, maxDelay: 200 } };
    const watcher = client(url, { token: 'watcher', transports: ['websocket'] });
    const watched = watcher.subscribe('room');
    const got = events(watched);
    await watched.ready;

    const tabs: Client[] = [
      client(via, { token: 'alice', ...fast }),
      client(via, { token: 'alice', ...fast }),
      client(via, { token: 'bob', ...fast }),
    ];
    const subs = tabs.map((c, i) => c.subscribe('room', undefined, { presence: { tab: i } }));
    await Promise.all(subs.map((s) => s.ready));
    await settle(server, { alice: 2, bob: 1, watcher: 1 });
    await vi.waitFor(() => expect(got.map((e) => `${e.kind}:${e.id}`).sort()).toEqual(['join:alice', 'join:bob']));

    const members = await subs[2]!.presence();
    expect(counts(members)).toEqual({ alice: 2, bob: 1, watcher: 1 });
    const alice = members.find((m) => m.id === 'alice')!;
    expect(alice.identity).toEqual({ id: 'alice', name: 'ALICE' });
    expect([{ tab: 0 }, { tab: 1 }]).toContainEqual(alice.data);
    expect(members.find((m) => m.id === 'bob')!.data).toEqual({ tab: 2 });

    // A proxy cut, refusing for a moment so that even a polling client between two requests
    // notices: every tab reconnects (a new connection, a new session on HTTP): no leave, no join.
    const resubscribed = subs.map((s) => new Promise((r) => s.once('subscribed', r)));
    proxy.faults.refuseHttp = true;
    proxy.cutAll();
    await Promise.all(tabs.map((c) => waitForState(c, 'reconnecting')));
    proxy.faults.refuseHttp = false;
    await Promise.all(resubscribed);
    await quiet();
    expect(got).toHaveLength(2);
    await settle(server, { alice: 2, bob: 1, watcher: 1 });

    // Alice closes one tab: still a member with one connection, no event.
    tabs[1]!.close();
    await settle(server, { alice: 1, bob: 1, watcher: 1 });
    expect(got).toHaveLength(2);

    // Her last tab: one leave, after the grace and within the bound.
    const closedAt = Date.now();
    tabs[0]!.close();
    await vi.waitFor(() => expect(got).toHaveLength(3), { timeout: bound + 5000, interval: 50 });
    expect(got[2]).toMatchObject({ kind: 'leave', id: 'alice' });
    const after = got[2]!.at - closedAt;
    expect(after).toBeGreaterThanOrEqual(grace - 100);
    expect(after).toBeLessThanOrEqual(bound + (transport === 'websocket' || transport === 'sse' ? 0 : hb));
    expect(counts(await server.presence('room'))).toEqual({ bob: 1, watcher: 1 });
    await quiet();
    expect(got).toHaveLength(3);
  });
});

describe.each(transports)('presence over %s, a client that goes silent', (transport) => {
  it('leaves once, within the bound, when its network dies without a word', async () => {
    const { url } = await startServer(serverOptions);
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const watcher = client(url, { token: 'watcher', transports: ['websocket'] });
    const watched = watcher.subscribe('room');
    const got = events(watched);
    await watched.ready;
    const gone = client(`${proxy.origin}/anywire`, {
      token: 'gus',
      transports: [transport],
      pollInterval: 100,
      reconnect: { minDelay: 20, maxDelay: 200 },
    });
    await gone.subscribe('room').ready;
    await vi.waitFor(() => expect(got.map((e) => `${e.kind}:${e.id}`)).toEqual(['join:gus']));
    // The link goes dead silently and nothing gets through any more (no goodbye, no reconnect).
    const frozenAt = Date.now();
    proxy.faults.refuseHttp = true;
    proxy.freezeAll();
    await vi.waitFor(() => expect(got).toHaveLength(2), { timeout: bound + 5000, interval: 50 });
    expect(got[1]).toMatchObject({ kind: 'leave', id: 'gus' });
    expect(got[1]!.at - frozenAt).toBeLessThanOrEqual(bound + hb);
  });
});

describe('presence across transport changes and without authenticate', () => {
  it('a forced fallback and the move back up to WebSocket are neither leave nor join', async () => {
    const { server, url } = await startServer(serverOptions);
    const proxy = await startFaultProxy(url.replace(/\/anywire$/, ''));
    onCleanup(() => proxy.close());
    const watcher = client(url, { token: 'watcher', transports: ['websocket'] });
    const watched = watcher.subscribe('room');
    const got = events(watched);
    await watched.ready;
    const c = client(`${proxy.origin}/anywire`, { token: 'carol', upgradeInterval: 1500, reconnect: { minDelay: 20, maxDelay: 200 } });
    await c.subscribe('room').ready;
    expect(c.transport).toBe('websocket');
    await vi.waitFor(() => expect(got.map((e) => `${e.kind}:${e.id}`)).toEqual(['join:carol']));
    const fellBack = new Promise<void>((resolve) => c.on('transport', (e) => e.transport === 'sse' && resolve()));
    proxy.faults.refuseWebSocket = true;
    proxy.cutAll();
    await fellBack;
    await quiet();
    const movedUp = new Promise<void>((resolve) => c.on('transport', (e) => e.transport === 'websocket' && resolve()));
    proxy.faults.refuseWebSocket = false;
    await movedUp;
    await quiet();
    expect(got).toHaveLength(1);
    expect(counts(await server.presence('room'))).toEqual({ carol: 1, watcher: 1 });
  });

  it('without authenticate each client is a member; presence off and forbidden channels are refused', async () => {
    const { server, url } = await startServer({
      presence: (ch) => ch.startsWith('room'),
      presenceGrace: grace,
      heartbeatInterval: hb,
      authorize: ({ channel, action }) => !(channel === 'room-secret' && action === 'subscribe'),
    });
    const a = client(url, { transports: ['websocket'] });
    const b = client(url, { transports: ['long-polling'] });
    const sa = a.subscribe('room', undefined, { presence: 'A' });
    await sa.ready;
    await b.subscribe('room', undefined, { presence: 'B' }).ready;
    await vi.waitFor(async () => expect((await sa.presence()).map((m) => m.data).sort()).toEqual(['A', 'B']));
    expect((await server.presence('room')).every((m) => m.connections === 1 && m.identity === undefined)).toBe(true);
    const off = a.subscribe('lobby');
    await off.ready;
    await expect(off.presence()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(server.presence('lobby')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const secret = a.subscribe('room-secret');
    await expect(secret.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(secret.presence()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Too much presence data: the subscription is refused, the client goes on.
    const big = a.subscribe('room-big', undefined, { presence: 'x'.repeat(2000) });
    await expect(big.ready).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await waitForState(a, 'connected');
  });

  it('join and leave are not messages: handlers, history and rewind never see them', async () => {
    const { server, url } = await startServer(serverOptions);
    const a = client(url, { token: 'ann', transports: ['websocket'] });
    const seen: unknown[] = [];
    const sa = a.subscribe('room', (d) => seen.push(d));
    await sa.ready;
    await server.publish('room', 'm1');
    const b = client(url, { token: 'ben', transports: ['polling'], pollInterval: 100 });
    await b.subscribe('room').ready;
    await vi.waitFor(async () => expect((await sa.presence()).length).toBe(2));
    await server.publish('room', 'm2');
    await vi.waitFor(() => expect(seen).toEqual(['m1', 'm2']));
    expect((await a.history('room')).messages.map((m) => m.data)).toEqual(['m1', 'm2']);
    // A rewind replays the last messages and the presence events among them (ben joined between
    // m1 and m2, ron itself before subscribing), as join events, never as messages.
    const r = client(url, { token: 'ron', transports: ['sse'] });
    const rewound: unknown[] = [];
    const rs = r.subscribe('room', (d) => rewound.push(d), { rewind: 2 });
    const replayed = events(rs);
    await rs.ready;
    await vi.waitFor(() => expect(rewound).toEqual(['m1', 'm2']));
    await vi.waitFor(() => expect(replayed.map((e) => `${e.kind}:${e.id}`)).toEqual(['join:ben', 'join:ron']));
  });
});
