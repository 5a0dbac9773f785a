// Token expiry and refresh without reconnecting, on every transport, against a real server: an
// identity with `exp` is valid until then; a client with a token function hands a fresh token over
// in-band ahead of it; without one the connection ends with TOKEN_EXPIRED by `exp`; and an HTTP
// session id is refused after it.
import { describe, expect, it, vi } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import type { Client } from '../../src/core/client.js';
import type { ServerOptions } from '../../src/node/server/index.js';
import { client, startServer } from '../helpers/server.js';
import { collector } from '../helpers/collector.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

/** Tokens of this test: `ok:<user>:<exp seconds>`, anything else is refused. */
const token = (user: string, ttl: number) => `ok:${user}:${Math.floor(Date.now() / 1000) + ttl}`;
function parse(t: string | undefined): { id: string; exp: number } {
  const m = /^ok:(\w+):(\d+)$/.exec(t ?? '');
  if (!m) throw new Error('invalid token');
  return { id: m[1]!, exp: Number(m[2]) };
}

function tokenServer(extra: ServerOptions = {}) {
  const seen: string[] = [];
  return {
    seen,
    options: {
      authenticate: ({ token }: { token: string | undefined }) => {
        seen.push(token ?? '');
        return parse(token);
      },
      ...extra,
    } satisfies ServerOptions,
  };
}

/** Resolves with the reason of the first state change to `state` whose reason matches. */
function stateWith(c: Client, state: string, reason: RegExp): Promise<string> {
  return new Promise((resolve) => {
    const fn = (e: { state: string; reason?: string | undefined }) => {
      if (e.state !== state || !reason.test(e.reason ?? '')) return;
      c.off('state', fn);
      resolve(e.reason!);
    };
    c.on('state', fn);
  });
}

describe.each(transports)('on %s', (transport) => {
  it('refreshes in-band at least twice without a reconnect while 500 messages arrive exactly once', async () => {
    const auth = tokenServer();
    const { server, url } = await startServer(auth.options);
    const connections: unknown[] = [];
    const disconnects: unknown[] = [];
    server.on('connection', (e) => connections.push(e));
    server.on('disconnect', (e) => disconnects.push(e));
    let calls = 0;
    const c = client(url, {
      transports: [transport],
      pollInterval: 50,
      token: () => {
        calls++;
        return token('ada', 3);
      },
    });
    await c.connect();
    const states: string[] = [];
    c.on('state', (e) => states.push(`${e.state} ${e.reason ?? ''}`));
    const col = collector<number>();
    await c.subscribe('feed', col.handler).ready;
    // Spread the 500 publishes over the refreshes: paced, and at least until two have happened.
    for (let i = 0; i < 500; i++) {
      await server.publish('feed', i);
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, calls >= 3 ? 1 : 60));
    }
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3), { timeout: 15_000 });
    await col.waitFor(500);
    await server.publish('feed', 500); // a sentinel: nothing else (no duplicate) was on its way
    await col.waitFor(501);
    expect(col.got.map((m) => m.offset)).toEqual(Array.from({ length: 501 }, (_, i) => i + 1));
    expect(col.data()).toEqual(Array.from({ length: 501 }, (_, i) => i));
    // Every token() call after the first went in-band: one connection, never a reconnect.
    expect(auth.seen.length).toBeGreaterThanOrEqual(3);
    expect(connections).toHaveLength(1);
    expect(disconnects).toEqual([]);
    expect(states).toEqual([]);
    expect(c.state).toBe('connected');
    // Still valid now: the latest token's exp lies ahead.
    expect(parse(auth.seen.at(-1)).exp * 1000).toBeGreaterThan(Date.now());
  });

  it('ends the connection with TOKEN_EXPIRED by exp when the token function starts returning an invalid token, and delivers nothing after', async () => {
    const auth = tokenServer();
    const { server, url } = await startServer(auth.options);
    const disconnects: { reason: string }[] = [];
    server.on('disconnect', (e) => disconnects.push(e));
    let calls = 0;
    const c = client(url, {
      transports: [transport],
      pollInterval: 50,
      token: () => (++calls === 1 ? token('ada', 3) : 'revoked'),
    });
    const ended = stateWith(c, 'reconnecting', /TOKEN_EXPIRED/);
    await c.connect();
    const exp = parse(auth.seen[0]).exp * 1000;
    const col = collector<string>();
    await c.subscribe('news', col.handler).ready;
    // A witness without expiry on the same channel: what it receives, the expired one would have.
    const witness = client(url, { transports: ['websocket'], token: token('witness', 3600) });
    const seen = collector<string>();
    await witness.subscribe('news', seen.handler).ready;
    await server.publish('news', 'before');
    await col.waitFor(1);

    const reason = await ended;
    const endedAt = Date.now();
    expect(calls).toBeGreaterThanOrEqual(2); // it tried to refresh, and was refused
    expect(endedAt).toBeGreaterThanOrEqual(exp - 50);
    // By exp: live connections are ended at exp; a polling client learns it on its next poll.
    expect(endedAt).toBeLessThanOrEqual(exp + 1500);
    expect(reason).toMatch(/TOKEN_EXPIRED/);
    if (transport === 'websocket' || transport === 'sse') {
      await vi.waitFor(() => expect(disconnects.map((d) => d.reason).join()).toMatch(/TOKEN_EXPIRED/));
    }

    await server.publish('news', 'after');
    await seen.waitFor(2);
    // Its reconnects call token(), get the invalid one and are refused: nothing after exp arrives.
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3));
    expect(col.data()).toEqual(['before']);
    expect(c.state).not.toBe('connected');
  });

  it('asks authorize again after a refresh (the answers cached for the connection are dropped)', async () => {
    let asked = 0;
    const auth = tokenServer({
      authorize: ({ action }) => {
        if (action === 'subscribe') asked++;
        return true;
      },
    });
    const { url } = await startServer(auth.options);
    const c = client(url, { transports: [transport], pollInterval: 50, token: () => token('ada', 3) });
    await c.connect();
    await c.subscribe('room', () => {}).ready;
    const before = asked;
    await vi.waitFor(() => expect(auth.seen.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    await vi.waitFor(() => expect(asked).toBeGreaterThan(before), { timeout: 10_000 });
    expect(c.state).toBe('connected');
  });
});

describe('application code in the refresh', () => {
  it('a token function that throws once is reported and tried again before exp: no reconnect', async () => {
    const auth = tokenServer();
    const { server, url } = await startServer(auth.options);
    const connections: unknown[] = [];
    server.on('connection', (e) => connections.push(e));
    let calls = 0;
    const c = client(url, {
      transports: ['websocket'],
      token: () => {
        if (++calls === 2) throw new Error('token endpoint down');
        return token('ada', 4);
      },
    });
    const errors: { code: string }[] = [];
    c.on('error', (e) => errors.push(e));
    await c.connect();
    await vi.waitFor(() => expect(auth.seen.length).toBeGreaterThanOrEqual(2), { timeout: 10_000 });
    expect(errors[0]).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(connections).toHaveLength(1);
    expect(c.state).toBe('connected');
  });

  it('an authenticate hook that throws on the refreshed token refuses it; the connection lives until exp', async () => {
    let n = 0;
    const { url } = await startServer({
      authenticate: ({ token: t }) => {
        if (++n > 1) throw new Error('hook failure');
        return parse(t);
      },
    });
    const c = client(url, { transports: ['websocket'], token: () => token('ada', 3) });
    const refused = new Promise<{ code: string }>((resolve) => c.once('error', resolve));
    await c.connect();
    expect(await refused).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(c.state).toBe('connected');
  });
});

describe('HTTP session ids and exp', () => {
  it.each(['long-polling', 'polling'] as const)('refuses a %s session id used after exp with 401 TOKEN_EXPIRED', async (t) => {
    const { url } = await startServer(tokenServer().options);
    const tok = token('ada', 2);
    const exp = parse(tok).exp * 1000;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${url}/${path}`, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...headers }, body: JSON.stringify(body) });
    const res = await post('connect', { t: 'connect', v: 2, transport: t }, { Authorization: `Bearer ${tok}` });
    expect(res.status).toBe(200);
    const [welcome] = (await res.json()) as [{ t: string; sid: string; exp: number }];
    expect(welcome).toMatchObject({ t: 'welcome', exp: exp / 1000 });
    const sid = welcome.sid;
    expect((await post('poll', { sid, subs: [] })).status).toBe(200);
    // The id itself says when its token expires: after that, every endpoint refuses it.
    const refused = await vi.waitFor(
      async () => {
        const r = await post('poll', { sid, subs: [] });
        expect(r.status).toBe(401);
        return { at: Date.now(), body: (await r.json()) as { code: string } };
      },
      { timeout: 5000, interval: 100 },
    );
    expect(refused.at).toBeGreaterThanOrEqual(exp);
    expect(refused.body.code).toBe('TOKEN_EXPIRED');
    const send = await post('send', { sid, frames: [{ t: 'ping' }] });
    expect(send.status).toBe(401);
    expect(((await send.json()) as { code: string }).code).toBe('TOKEN_EXPIRED');
    const sse = await post('sse', { sid, subs: [] });
    expect(sse.status).toBe(401);
  });

  it('refuses a connect whose token has already expired (UNAUTHORIZED)', async () => {
    const { url } = await startServer(tokenServer().options);
    const c = client(url, { transports: ['websocket'], token: token('ada', -5), reconnect: false });
    await expect(c.connect()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
