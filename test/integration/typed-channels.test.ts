// Typed channels checked at run time, with two Standard Schema libraries (zod 4 and valibot 1):
// the server refuses a publish that fails its channel's schema (from a client on every transport,
// and from server.publish), stores nothing and keeps the connection; a client schema refuses
// before sending and skips a received message that fails (error on the subscription, no gap).
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { z } from 'zod';
import type { TransportName } from '../../src/adapters/types.js';
import type { StandardSchemaV1 } from '../../src/node/index.js';
import { client, startServer } from '../helpers/server.js';
import { collector } from '../helpers/collector.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

/** The same shape in each library: `{ text: string (≤ 20 chars) }`. */
const libraries: [string, StandardSchemaV1<{ text: string }>][] = [
  ['zod 4', z.object({ text: z.string().max(20) })],
  ['valibot 1', v.object({ text: v.pipe(v.string(), v.maxLength(20)) })],
];

describe.each(libraries)('with %s', (_name, Chat) => {
  describe.each(transports)('a client on %s', (transport) => {
    it('has a failing publish refused with BAD_REQUEST naming the path, nothing stored, the connection usable', async () => {
      const { server, url } = await startServer({ schemas: { chat: Chat } });
      const c = client(url, { transports: [transport], pollInterval: 50 });
      await c.connect();
      const states: string[] = [];
      c.on('state', (e) => states.push(e.state));
      const err = await c.publish('chat', { text: 42 }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'BAD_REQUEST' });
      expect((err as Error).message).toContain('data.text');
      const tooLong = await c.publish('chat', { text: 'x'.repeat(21) }).catch((e: unknown) => e);
      expect(tooLong).toMatchObject({ code: 'BAD_REQUEST' });
      expect((tooLong as Error).message).toContain('data.text');
      // Nothing was stored: the first valid publish gets offset 1, on the same connection.
      expect(await c.publish('chat', { text: 'hi' })).toEqual({ offset: 1 });
      expect(await server.publish('chat', { text: 'from the backend' })).toEqual({ offset: 2 });
      expect(states).toEqual([]);
      expect(c.transport).toBe(transport);
      expect(server.stats().refused).toEqual({ BAD_REQUEST: 2 });
    });
  });

  it('refuses a failing server.publish with BAD_REQUEST naming the path, and stores nothing', async () => {
    const { server } = await startServer({ schemas: { chat: Chat } });
    await expect(server.publish('chat', { txt: 'typo' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('data.text'),
    });
    await expect(server.publish('chat', 'just a string')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await server.publish('chat', { text: 'ok' })).toEqual({ offset: 1 });
    // A channel without a schema takes anything.
    expect(await server.publish('other', 42)).toEqual({ offset: 1 });
  });

  it('checks a prefix pattern room:* (and the longest prefix wins)', async () => {
    const Vip = z.object({ text: z.string(), vip: z.literal(true) });
    const { server } = await startServer({ schemas: { 'room:*': Chat, 'room:vip:*': Vip } });
    await expect(server.publish('room:1', { text: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(server.publish('room:lobby', {})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await server.publish('room:1', { text: 'a' })).toEqual({ offset: 1 });
    await expect(server.publish('room:vip:1', { text: 'a' })).rejects.toMatchObject({ message: expect.stringContaining('data.vip') });
    expect(await server.publish('room:vip:1', { text: 'a', vip: true })).toEqual({ offset: 1 });
    expect(await server.publish('rooms', 42)).toEqual({ offset: 1 }); // not under the prefix
  });

  it('a client schema refuses before sending: BAD_REQUEST, nothing reaches the server', async () => {
    const { server, url } = await startServer();
    const c = client(url, { transports: ['websocket'] });
    await c.connect();
    await expect(c.publish('chat', { text: 7 } as never, { schema: Chat })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('data.text'),
    });
    expect(server.stats().messagesIn).toBe(0);
    expect(await c.publish('chat', { text: 'ok' }, { schema: Chat })).toEqual({ offset: 1 });
    expect(server.stats().messagesIn).toBe(1);
  });

  it.each(transports)(
    'a received message failing the client schema on %s: no handler call, error on the subscription, later ones delivered, no gap',
    async (transport) => {
      const { server, url } = await startServer();
      const c = client(url, { transports: [transport], pollInterval: 50 });
      const col = collector<{ text: string }>();
      const sub = c.subscribe('chat', col.handler, { schema: Chat });
      const errors: { code: string; message: string }[] = [];
      const gaps: unknown[] = [];
      sub.on('error', (e) => errors.push(e));
      sub.on('gap', (g) => gaps.push(g));
      await sub.ready;
      await server.publish('chat', { text: 'one' });
      await server.publish('chat', { text: ['not', 'a', 'string'] });
      await server.publish('chat', { text: 'three' });
      await col.waitFor(2);
      await vi.waitFor(() => expect(errors).toHaveLength(1));
      expect(col.got).toEqual([
        { data: { text: 'one' }, offset: 1 },
        { data: { text: 'three' }, offset: 3 },
      ]);
      expect(errors[0]).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('data.text') });
      expect(gaps).toEqual([]);
      expect(sub.state).toBe('subscribed');
    },
  );
});

describe('schemas and application code', () => {
  it('a schema that throws refuses the publish (BAD_REQUEST) and the server keeps serving', async () => {
    const throwing: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('boom');
        },
      },
    };
    const { server, url } = await startServer({ schemas: { chat: throwing } });
    const c = client(url, { transports: ['websocket'] });
    await c.connect();
    await expect(c.publish('chat', 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await c.publish('other', 1)).toEqual({ offset: 1 });
    await expect(server.publish('chat', 1)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('an async schema keeps publishes in order', async () => {
    let n = 0;
    const slowFirst: StandardSchemaV1<number> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        // Each check takes less time than the one before: unordered, they would finish reversed.
        validate: (value) => new Promise((r) => setTimeout(() => r({ value: value as number }), 40 - 4 * n++)),
      },
    };
    const { url } = await startServer({ schemas: { seq: slowFirst } });
    const c = client(url, { transports: ['websocket'] });
    const col = collector<number>();
    await c.subscribe('seq', col.handler).ready;
    const acks = await Promise.all([0, 1, 2, 3, 4].map((i) => c.publish('seq', i)));
    expect(acks.map((a) => a.offset)).toEqual([1, 2, 3, 4, 5]);
    await col.waitFor(5);
    expect(col.data()).toEqual([0, 1, 2, 3, 4]);
  });

  it('bounds the refusal message of data failing in thousands of places', async () => {
    const { server } = await startServer({ schemas: { list: z.array(z.string()) } });
    const err = await server
      .publish(
        'list',
        Array.from({ length: 5000 }, (_, i) => i),
      )
      .catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('data.0') });
    expect((err as Error).message.length).toBeLessThanOrEqual(1000);
  });

  it('refuses at createServer a schemas entry that is not a Standard Schema', async () => {
    await expect(startServer({ schemas: { chat: {} as never } })).rejects.toThrow(/not a Standard Schema/);
  });
});

describe('types inferred from the schema', () => {
  it('types the handler by the schema output and the publish data by its input', async () => {
    const { url } = await startServer();
    const c = client(url, { transports: ['websocket'] });
    // A transform: the output differs from the input, and the handler gets the output.
    const Chat = z.object({ text: z.string() }).transform((m) => ({ ...m, length: m.text.length }));
    const col = collector<{ text: string; length: number }>();
    const sub = c.subscribe(
      'chat',
      (msg, meta) => {
        expectTypeOf(msg).toEqualTypeOf<{ text: string; length: number }>();
        expectTypeOf(meta.offset).toBeNumber();
        col.handler(msg, meta);
      },
      { schema: Chat },
    );
    expectTypeOf(sub).toEqualTypeOf<import('../../src/node/index.js').Subscription<{ text: string; length: number }>>();
    const Valibot = v.object({ n: v.number() });
    c.subscribe('n', (msg) => expectTypeOf(msg).toEqualTypeOf<{ n: number }>(), { schema: Valibot });
    // Without a schema, the generic (or unknown) as before.
    c.subscribe<{ a: 1 }>('plain', (msg) => expectTypeOf(msg).toEqualTypeOf<{ a: 1 }>());
    c.subscribe('plain', (msg) => expectTypeOf(msg).toBeUnknown());
    await sub.ready;
    await c.publish('chat', { text: 'hello' }, { schema: Chat });
    // @ts-expect-error -- the data must match the schema's input type
    await c.publish('chat', { text: 1 }, { schema: Chat }).catch(() => {});
    await col.waitFor(1);
    expect(col.data()).toEqual([{ text: 'hello', length: 5 }]);
  });
});
