// The long-polling (and short-polling) adapter's edge cases against a mocked network (msw): the
// cursor each poll carries, a 5xx mid-session, a poll that never answers, subscription changes
// while a poll is held (by /send, never an abort), upstream POST batching.
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { base, openTransport, welcome } from '../../test/helpers/http-adapter.js';
import { longPolling } from './long-polling.js';
import type { CursorEntry } from './types.js';
import { polling } from './polling.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

type Answer = (body: Record<string, unknown>) => Response | Promise<Response>;
interface Seen {
  body: Record<string, unknown>;
  signal: AbortSignal;
}

/** Mocks the endpoints: connect answers a welcome; polls and sends take the next answer in line. */
function serve(o: { hb?: number; polls?: Answer[]; sends?: Answer[]; path?: string }) {
  const polls: Seen[] = [];
  const sends: Seen[] = [];
  const pollAnswers = [...(o.polls ?? [])];
  const sendAnswers = [...(o.sends ?? [])];
  const hang = async () => {
    await delay('infinite');
    return new HttpResponse(null);
  };
  server.use(
    http.post(`${base}/connect`, () => HttpResponse.json([welcome(o.hb)])),
    http.post(`${base}/${o.path ?? 'long-poll'}`, async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      polls.push({ body, signal: request.signal });
      return (pollAnswers.shift() ?? hang)(body);
    }),
    http.post(`${base}/send`, async ({ request }) => {
      const body = (await request.json()) as Record<string, unknown>;
      sends.push({ body, signal: request.signal });
      return (sendAnswers.shift() ?? hang)(body);
    }),
    http.post(`${base}/close`, () => new HttpResponse(null, { status: 204 })),
  );
  return { polls, sends };
}

const frames =
  (...f: object[]) =>
  () =>
    HttpResponse.json(f);

describe('long-polling adapter', () => {
  it("carries the core's cursor on every poll, read when the poll leaves", async () => {
    const net = serve({
      polls: [
        frames({ t: 'subd', id: 1, ch: 'a', e: 'E', o: 0, r: false }, { t: 'msg', ch: 'a', o: 1, d: 1 }, { t: 'msg', ch: 'a', o: 2, d: 2 }),
        frames(),
      ],
    });
    // What the core's Channels hold: confirmed at offset 2 once those frames were delivered.
    const moved: CursorEntry[] = [{ id: 1, ch: 'a', since: { e: 'E', o: 2 }, q: true }];
    let seen: () => boolean = () => false;
    const h = await openTransport(longPolling, { cursor: () => (seen() ? moved : [{ id: 1, ch: 'a' }]) });
    seen = () => h.frames().some((f) => f.t === 'msg' && f.o === 2);
    h.transport.send([{ t: 'connect', v: 2 }]);
    await h.batchesAt(1);
    expect(h.batches[0]).toEqual([welcome()]);
    await expect.poll(() => net.polls.length).toBe(3);
    expect(net.polls.map((p) => p.body.subs)).toEqual([[{ id: 1, ch: 'a' }], moved, moved]);
    expect(h.frames().filter((f) => f.t === 'msg')).toHaveLength(2);
    h.transport.close();
  });

  it('reports a 5xx mid-session after delivering what came before', async () => {
    serve({
      polls: [
        frames({ t: 'subd', id: 1, ch: 'a', e: 'E', o: 0, r: false }),
        () => new HttpResponse('oops', { status: 502, statusText: 'Bad Gateway' }),
      ],
    });
    const h = await openTransport(longPolling);
    h.transport.send([{ t: 'connect', v: 2 }]);
    await h.batchesAt(1);
    h.transport.send([{ t: 'sub', id: 1, ch: 'a' }]);
    const info = await h.closed;
    expect(info.reason).toMatch(/502/);
    expect(h.frames().map((f) => f.t)).toEqual(['welcome', 'subd']);
    expect(h.closes).toHaveLength(1);
  });

  it('gives up on a poll that never answers, after two heartbeats', async () => {
    serve({ hb: 50 }); // every poll hangs
    const h = await openTransport(longPolling);
    h.transport.send([{ t: 'connect', v: 2 }]);
    const info = await h.closed;
    expect(info.code).toBe('TIMEOUT');
  });

  it('sends subscription changes by POST /send and never aborts the held poll for them', async () => {
    const net = serve({ sends: [frames(), frames()] });
    const h = await openTransport(longPolling);
    h.transport.send([{ t: 'connect', v: 2 }]);
    await expect.poll(() => net.polls.length).toBe(1);
    h.transport.send([{ t: 'sub', id: 1, ch: 'a' }]);
    h.transport.send([{ t: 'sub', id: 2, ch: 'b' }]); // same tick: one POST for both
    await expect.poll(() => net.sends.length).toBe(1);
    expect(net.sends[0]!.body.frames).toEqual([
      { t: 'sub', id: 1, ch: 'a' },
      { t: 'sub', id: 2, ch: 'b' },
    ]);
    h.transport.send([{ t: 'unsub', ch: 'a' }]);
    await expect.poll(() => net.sends.length).toBe(2);
    expect(net.sends[1]!.body.frames).toEqual([{ t: 'unsub', ch: 'a' }]);
    expect(net.polls).toHaveLength(1);
    expect(net.polls[0]!.signal.aborted).toBe(false);
    h.transport.close();
    await expect.poll(() => net.polls[0]!.signal.aborted).toBe(true);
    expect(h.closes).toEqual([]);
  });

  it('sends upstream frames of one tick in one POST, one POST at a time', async () => {
    let release!: () => void;
    const net = serve({
      sends: [
        async (b) => {
          await new Promise<void>((r) => (release = r));
          return HttpResponse.json((b.frames as { id: string }[]).map((f, i) => ({ t: 'ack', id: f.id, o: i + 1 })));
        },
        (b) =>
          HttpResponse.json(
            (b.frames as { t: string; id: string }[]).map((f, i) => (f.t === 'ping' ? { t: 'pong' } : { t: 'ack', id: f.id, o: i + 10 })),
          ),
      ],
    });
    const h = await openTransport(longPolling);
    h.transport.send([{ t: 'connect', v: 2 }]);
    await h.batchesAt(1);
    for (const id of ['p1', 'p2', 'p3']) h.transport.send([{ t: 'pub', id, ch: 'a', d: id }]);
    await expect.poll(() => net.sends.length).toBe(1);
    h.transport.send([{ t: 'pub', id: 'p4', ch: 'a', d: 'p4' }]);
    h.transport.send([{ t: 'ping' }]);
    expect(net.sends).toHaveLength(1); // the second waits for the first
    release();
    await expect.poll(() => net.sends.length).toBe(2);
    expect(net.sends.map((s) => (s.body.frames as { t: string }[]).map((f) => f.t))).toEqual([
      ['pub', 'pub', 'pub'],
      ['pub', 'ping'],
    ]);
    expect(net.sends[0]!.body.sid).toBe('sid-1');
    await expect.poll(() => h.frames().filter((f) => f.t === 'ack' || f.t === 'pong').length).toBe(5);
    h.transport.close();
  });

  it('reports SESSION_INVALID and malformed answers with their codes', async () => {
    serve({ polls: [() => HttpResponse.json({ code: 'SESSION_INVALID', message: 'expired' }, { status: 401 })] });
    const h = await openTransport(longPolling);
    h.transport.send([{ t: 'connect', v: 2 }]);
    expect(await h.closed).toMatchObject({ code: 'SESSION_INVALID' });

    server.resetHandlers();
    serve({ polls: [() => new HttpResponse('[{"t":"msg"', { headers: { 'Content-Type': 'application/json' } })] });
    const h2 = await openTransport(longPolling);
    h2.transport.send([{ t: 'connect', v: 2 }]);
    expect(await h2.closed).toMatchObject({ code: 'PROTOCOL_ERROR' });
  });

  it('closes when the server ends the session with an err frame (shutdown), passing the retry hint', async () => {
    serve({ polls: [frames({ t: 'err', code: 'SERVER_SHUTTING_DOWN', msg: 'bye', retry: 700 })] });
    const h = await openTransport(longPolling);
    h.transport.send([{ t: 'connect', v: 2 }]);
    expect(await h.closed).toMatchObject({ code: 'SERVER_SHUTTING_DOWN', retryAfter: 700 });
    expect(h.frames().at(-1)).toMatchObject({ t: 'err', code: 'SERVER_SHUTTING_DOWN' });
  });
});

describe('polling adapter', () => {
  it('asks every pollInterval, and at once when a subscription change was posted', async () => {
    const net = serve({ path: 'poll', polls: Array.from({ length: 50 }, () => frames()), sends: [frames()] });
    const h = await openTransport(polling, { pollInterval: 60_000, cursor: () => [{ id: 1, ch: 'a' }] });
    h.transport.send([{ t: 'connect', v: 2 }]);
    await expect.poll(() => net.polls.length).toBe(1);
    h.transport.send([{ t: 'sub', id: 1, ch: 'a' }]);
    await expect.poll(() => net.polls.length).toBe(2); // long before the minute is up, once /send answered
    expect(net.sends).toHaveLength(1);
    expect(net.polls[1]!.body.subs).toEqual([{ id: 1, ch: 'a' }]);
    h.transport.close();

    const net2 = serve({ path: 'poll', polls: Array.from({ length: 50 }, () => frames()) });
    const h2 = await openTransport(polling, { pollInterval: 20 });
    h2.transport.send([{ t: 'connect', v: 2 }]);
    await expect.poll(() => net2.polls.length).toBeGreaterThanOrEqual(4);
    h2.transport.close();
  });
});
