// One suite, every transport: the same promises proven over WebSocket, SSE, long polling and
// polling, against a real server on an ephemeral loopback port with real Node clients.
import { describe, expect, it, vi } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import type { Client } from '../../src/core/client.js';
import { AnywireError } from '../../src/node/index.js';
import type { ServerOptions } from '../../src/node/server/index.js';
import { client as makeClient, startServer } from '../helpers/server.js';
import { collector } from '../helpers/collector.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

/** A client on one transport; polling asks every 50 ms so tests stay quick. */
function client(url: string, transport: TransportName, options: Parameters<typeof makeClient>[1] = {}): Client {
  return makeClient(url, { transports: [transport], pollInterval: 50, ...options });
}

async function setup(transport: TransportName, options: ServerOptions = {}) {
  const { server, url } = await startServer(options);
  return {
    server,
    url,
    connect: async (o: Parameters<typeof makeClient>[1] = {}) => {
      const c = client(url, transport, o);
      await c.connect();
      return c;
    },
  };
}

describe.each(transports)('transport %s', (transport) => {
  it('connects, reports the transport in use and is announced by the server', async () => {
    const { server, url } = await startServer();
    const announced = new Promise<{ transport: string }>((resolve) => server.once('connection', resolve));
    const c = client(url, transport);
    const events: (string | null)[] = [];
    c.on('transport', (e) => events.push(e.transport));
    await c.connect();
    expect(c.state).toBe('connected');
    expect(c.transport).toBe(transport);
    expect(events).toEqual([transport]);
    expect((await announced).transport).toBe(transport);
  });

  it('delivers 1,000 publishes once each and in order', async () => {
    const { connect } = await setup(transport);
    const subscriber = await connect();
    const publisher = await connect();
    const col = collector<{ n: number }>();
    await subscriber.subscribe('bulk', col.handler).ready;
    const acks = await Promise.all(Array.from({ length: 1000 }, (_, n) => publisher.publish('bulk', { n })));
    expect(acks.map((a) => a.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    await col.waitFor(1000);
    // A sentinel after them proves nothing more (no duplicate) was on its way.
    await publisher.publish('bulk', { n: -1 });
    await col.waitFor(1001);
    expect(col.got).toHaveLength(1001);
    expect(col.got.slice(0, 1000).map((m) => m.data.n)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(col.got.map((m) => m.offset)).toEqual(Array.from({ length: 1001 }, (_, i) => i + 1));
  });

  it('fans server.publish out to clients on mixed transports at once', async () => {
    const { server, url } = await startServer();
    const others = transports.filter((t) => t !== transport).slice(0, 2);
    const clients = [client(url, transport), client(url, 'websocket'), client(url, 'polling'), ...others.map((t) => client(url, t))];
    await Promise.all(clients.map((c) => c.connect()));
    const cols = clients.map(() => collector<number>());
    await Promise.all(clients.map((c, i) => c.subscribe('fan', cols[i]!.handler).ready));
    for (let i = 0; i < 20; i++) await server.publish('fan', i);
    await Promise.all(cols.map((c) => c.waitFor(20)));
    const expected = Array.from({ length: 20 }, (_, i) => i);
    for (const c of cols) expect(c.data()).toEqual(expected);
    expect(clients.map((c) => c.transport)).toEqual([transport, 'websocket', 'polling', ...others]);
  });

  it('stops delivery after unsubscribe', async () => {
    const { server, connect } = await setup(transport);
    const c = await connect();
    const gone = collector<number>();
    const sentinel = collector<string>();
    const sub = c.subscribe('gone', gone.handler);
    await sub.ready;
    await c.subscribe('sentinel', sentinel.handler).ready;
    await server.publish('gone', 1);
    await gone.waitFor(1);
    sub.unsubscribe();
    expect(sub.state).toBe('unsubscribed');
    await server.publish('gone', 2);
    await server.publish('gone', 3);
    // Messages are delivered in order per link: once the sentinel (published later) arrived, the
    // unsubscribed channel's would have too.
    await server.publish('sentinel', 'after');
    await sentinel.waitFor(1);
    expect(gone.data()).toEqual([1]);
  });

  it('acks publishes and reports FORBIDDEN and PAYLOAD_TOO_LARGE, staying usable', async () => {
    const { connect } = await setup(transport, {
      maxPayload: 1024,
      authorize: ({ channel }) => !channel.startsWith('secret'),
    });
    const c = await connect();
    const sub = c.subscribe('secret-room');
    await expect(sub.ready).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(c.publish('secret-room', 1)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const big = await c.publish('open', 'x'.repeat(2000)).catch((e: AnywireError) => e);
    expect(big).toBeInstanceOf(AnywireError);
    expect((big as AnywireError).code).toBe('PAYLOAD_TOO_LARGE');
    const col = collector<string>();
    await c.subscribe('open', col.handler).ready;
    const { offset } = await c.publish('open', 'still fine');
    expect(offset).toBe(1);
    await col.waitFor(1);
    expect(col.data()).toEqual(['still fine']);
    expect(c.state).toBe('connected');
  });

  it('round-trips binary data byte for byte', async () => {
    const { server, connect } = await setup(transport);
    const c = await connect();
    const col = collector<Uint8Array>();
    await c.subscribe('bin', col.handler).ready;
    const bytes = new Uint8Array(1024).map((_, i) => (i * 7) % 256);
    await c.publish('bin', bytes);
    await server.publish('bin', new Uint8Array([0, 255, 10, 13, 0]).buffer);
    await col.waitFor(2);
    expect(col.got[0]!.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(col.got[0]!.data)).toEqual(Array.from(bytes));
    expect(Array.from(col.got[1]!.data)).toEqual([0, 255, 10, 13, 0]);
  });

  it('closes cleanly: the server sees the disconnect and keeps no subscriber', async () => {
    const { server, connect } = await setup(transport);
    const c = await connect();
    await c.subscribe('bye').ready;
    const disconnected = new Promise<{ reason: string }>((resolve) => server.once('disconnect', resolve));
    c.close();
    expect(typeof (await disconnected).reason).toBe('string');
    await vi.waitFor(() => {
      expect(server.channelCount).toBe(0);
      expect(server.connectionCount).toBe(0);
    });
  });
});
