// The SSE adapter's edge cases against a mocked network (msw): events split across chunks, a
// truncated event, subscription changes by /send beside the stream, a broken stream mid-session, a
// response that never comes.
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { base, eventStream, openTransport, welcome } from '../../test/helpers/http-adapter.js';
import { sse } from './sse.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** Answers `POST /sse` with the next stream or response of `answers`, recording each request. */
function serve(...answers: ((req: Request) => Response | Promise<Response>)[]) {
  const requests: { body: Record<string, unknown>; auth: string | null; signal: AbortSignal }[] = [];
  server.use(
    http.post(`${base}/sse`, async ({ request }) => {
      requests.push({
        body: (await request.clone().json()) as Record<string, unknown>,
        auth: request.headers.get('authorization'),
        signal: request.signal,
      });
      const next = answers.shift();
      if (!next) return new HttpResponse(null, { status: 599 });
      return next(request);
    }),
    http.post(`${base}/close`, () => new HttpResponse(null, { status: 204 })),
  );
  return requests;
}

const streamOf = (s: ReturnType<typeof eventStream>) => () =>
  new HttpResponse(s.body, { headers: { 'Content-Type': 'text/event-stream' } });

describe('sse adapter', () => {
  it('opens the stream with the token as a header and delivers events split across chunks', async () => {
    const stream = eventStream();
    const requests = serve(streamOf(stream));
    const h = await openTransport(sse);
    h.transport.send([{ t: 'connect', v: 2, token: 'tok' }]);
    const text = `id: 1\ndata: ${JSON.stringify([welcome()])}\n\n`;
    stream.write(text.slice(0, 7));
    stream.write(text.slice(7, 30));
    stream.write(text.slice(30));
    await h.batchesAt(1);
    expect(h.batches[0]).toEqual([welcome()]);
    expect(requests[0]!.auth).toBe('Bearer tok');
    expect(requests[0]!.body).toEqual({ connect: { t: 'connect', v: 2 } });
    stream.write(':\n\n');
    await h.batchesAt(2);
    expect(h.batches[1]).toEqual([]); // a heartbeat is an empty batch: the link lives
    h.transport.close();
  });

  it('answers a heartbeat comment with a ping by POST, unless a POST went out within half an interval', async () => {
    const stream = eventStream();
    serve(streamOf(stream));
    const sends: unknown[][] = [];
    server.use(
      http.post(`${base}/send`, async ({ request }) => {
        const body = (await request.json()) as { sid: string; frames: { t: string; id?: string }[] };
        expect(body.sid).toBe('sid-1');
        sends.push(body.frames);
        return HttpResponse.json(body.frames.map((f) => (f.t === 'ping' ? { t: 'pong' } : { t: 'ack', id: f.id, o: 1 })));
      }),
    );
    const h = await openTransport(sse);
    h.transport.send([{ t: 'connect', v: 2 }]);
    stream.write(`data: ${JSON.stringify([welcome()])}\n\n`);
    stream.write(':\n\n');
    await expect.poll(() => sends).toEqual([[{ t: 'ping' }]]);
    // Traffic flows: a publish went out just now, so the next heartbeat needs no ping of its own.
    const pub = (id: string) => ({ t: 'pub' as const, id, ch: 'a', d: 1 });
    h.transport.send([pub('p1')]);
    await expect.poll(() => h.frames().some((f) => f.t === 'ack')).toBe(true);
    const beats = h.batches.length;
    stream.write(':\n\n');
    await h.batchesAt(beats + 1);
    h.transport.send([pub('p2')]);
    await expect.poll(() => sends).toHaveLength(3);
    expect(sends).toEqual([[{ t: 'ping' }], [pub('p1')], [pub('p2')]]);
    h.transport.close();
  });

  it('drops a truncated event at the end of the stream and reports the close', async () => {
    const stream = eventStream();
    serve(streamOf(stream));
    const h = await openTransport(sse);
    h.transport.send([{ t: 'connect', v: 2 }]);
    stream.write(`data: ${JSON.stringify([welcome()])}\n\n`);
    stream.write('data: [{"t":"msg","ch":"a","o":1,"d":1}');
    stream.end();
    const info = await h.closed;
    expect(info.reason).toMatch(/ended/);
    expect(h.frames()).toEqual([welcome()]);
  });

  it('sends subscription changes by POST /send and keeps the stream open', async () => {
    const stream = eventStream();
    const requests = serve(streamOf(stream));
    const sends: unknown[] = [];
    server.use(
      http.post(`${base}/send`, async ({ request }) => {
        sends.push(((await request.json()) as { frames: unknown }).frames);
        return HttpResponse.json([]);
      }),
    );
    const h = await openTransport(sse);
    h.transport.send([{ t: 'connect', v: 2 }]);
    stream.write(`data: ${JSON.stringify([welcome()])}\n\n`);
    await h.batchesAt(1);
    h.transport.send([{ t: 'sub', id: 1, ch: 'a' }]);
    await expect.poll(() => sends.length).toBe(1);
    expect(sends[0]).toEqual([{ t: 'sub', id: 1, ch: 'a' }]);
    // Its answer comes down the same stream.
    stream.write(`data: ${JSON.stringify([{ t: 'subd', id: 1, ch: 'a', e: 'E', o: 0, r: false }])}\n\n`);
    await h.batchesAt(2);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.signal.aborted).toBe(false);
    h.transport.close();
    expect(h.closes).toEqual([]);
  });

  it('reports a stream that breaks mid-way, after delivering what came before', async () => {
    const stream = eventStream();
    serve(streamOf(stream));
    const h = await openTransport(sse);
    h.transport.send([{ t: 'connect', v: 2 }]);
    stream.write(`data: ${JSON.stringify([welcome(), { t: 'subd', id: 1, ch: 'a', e: 'E', o: 0, r: false }])}\n\n`);
    stream.write(`data: ${JSON.stringify([{ t: 'msg', ch: 'a', o: 1, d: 'x' }])}\n\n`);
    await h.batchesAt(2);
    stream.fail(new Error('connection reset'));
    const info = await h.closed;
    expect(info.reason).toMatch(/SSE stream/);
    expect(h.frames().map((f) => f.t)).toEqual(['welcome', 'subd', 'msg']);
  });

  it('reports SESSION_INVALID with its code, and a non-stream answer as a protocol error', async () => {
    serve(() => HttpResponse.json({ code: 'SESSION_INVALID', message: 'expired' }, { status: 401 }));
    const h = await openTransport(sse);
    h.transport.send([{ t: 'connect', v: 2 }]);
    expect(await h.closed).toMatchObject({ code: 'SESSION_INVALID' });

    serve(() => HttpResponse.json([welcome()]));
    const h2 = await openTransport(sse);
    h2.transport.send([{ t: 'connect', v: 2 }]);
    expect(await h2.closed).toMatchObject({ code: 'PROTOCOL_ERROR' });
  });

  it('closes on an event that is not a valid batch of frames', async () => {
    const stream = eventStream();
    serve(streamOf(stream));
    const h = await openTransport(sse);
    h.transport.send([{ t: 'connect', v: 2 }]);
    stream.write('data: {"t":"welcome","v":2}\n\n');
    expect(await h.closed).toMatchObject({ code: 'PROTOCOL_ERROR' });
    expect(h.batches).toEqual([]);
  });

  it('stays silent on close() during a slow open', async () => {
    const slow = serve(async () => {
      await delay('infinite');
      return new HttpResponse(null);
    });
    const h2 = await openTransport(sse);
    h2.transport.send([{ t: 'connect', v: 2 }]);
    await expect.poll(() => slow.length).toBe(1);
    h2.transport.close();
    await expect.poll(() => slow[0]!.signal.aborted).toBe(true);
    expect(h2.closes).toEqual([]);
  });
});
