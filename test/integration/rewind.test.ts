// `subscribe(channel, handler, { rewind: n })`: the last n messages, then live ones, exactly once
// and in order, even while another client publishes during the subscribe — on every transport.
import { describe, expect, it } from 'vitest';
import type { TransportName } from '../../src/adapters/types.js';
import { collector } from '../helpers/collector.js';
import { client, startServer } from '../helpers/server.js';

const transports: TransportName[] = ['websocket', 'sse', 'long-polling', 'polling'];

describe.each(transports)('rewind over %s', (transport) => {
  it('rewind: 50 while 1,000 are published concurrently: the 50 before and every later one, once, in order', async () => {
    const { server, url } = await startServer({ history: { size: 2000 } });
    for (let n = 1; n <= 100; n++) await server.publish('rw', { n });
    const publisher = client(url, { transports: ['websocket'] });
    const subscriber = client(url, { transports: [transport], pollInterval: 50 });
    await Promise.all([publisher.connect(), subscriber.connect()]);
    let acked = 100;
    const sends = Array.from({ length: 1000 }, (_, i) => publisher.publish('rw', { n: 101 + i }).then(() => acked++));
    // Subscribe in the middle of the stream.
    while (acked < 150) await new Promise((r) => setImmediate(r));
    const before = acked;
    const col = collector<{ n: number }>();
    const sub = subscriber.subscribe('rw', col.handler, { rewind: 50 });
    await sub.ready;
    await Promise.all(sends);
    const last = await server.publish('rw', { n: 1101 });
    expect(last.offset).toBe(1101);
    await col.waitFor(1);
    const first = col.got[0]!.offset;
    await col.waitFor(1101 - first + 1);
    const offsets = col.got.map((m) => m.offset);
    expect(offsets).toEqual(Array.from({ length: 1101 - first + 1 }, (_, i) => first + i));
    expect(col.got.map((m) => m.data.n)).toEqual(offsets);
    // The rewind started 50 back from where the channel stood when the subscribe was answered.
    expect(first).toBeGreaterThanOrEqual(before - 49);
    // Nothing more (no duplicate) was on its way.
    await server.publish('rw', { n: 1102 });
    await col.waitFor(offsets.length + 1);
    expect(col.got).toHaveLength(offsets.length + 1);
  });

  it('rewind on a channel with fewer messages gives what there is; on an empty one nothing, then live', async () => {
    const { server, url } = await startServer();
    for (let n = 1; n <= 3; n++) await server.publish('few', { n });
    const c = client(url, { transports: [transport], pollInterval: 50 });
    const few = collector<{ n: number }>();
    await c.subscribe('few', few.handler, { rewind: 50 }).ready;
    await few.waitFor(3);
    expect(few.got.map((m) => m.offset)).toEqual([1, 2, 3]);
    const empty = collector();
    await c.subscribe('empty', empty.handler, { rewind: 10 }).ready;
    await server.publish('empty', 'live');
    await empty.waitFor(1);
    expect(empty.got).toEqual([{ data: 'live', offset: 1 }]);
    // Without rewind, nothing from before.
    const plain = collector();
    await c.subscribe('few2', plain.handler).ready;
    await server.publish('few', { n: 4 });
    await few.waitFor(4);
    expect(few.got.map((m) => m.offset)).toEqual([1, 2, 3, 4]);
  });
});
