// anywire/modular: a client built with only some transports uses exactly those, in the order
// given, against a real server (the Node build; the browser build shares the same shape).
import { describe, expect, it } from 'vitest';
import { longPolling } from '../../src/adapters/long-polling.js';
import { polling } from '../../src/adapters/polling.js';
import { websocket } from '../../src/adapters/websocket.js';
import { createClient } from '../../src/node/modular.js';
import { onCleanup, startServer } from '../helpers/server.js';

describe('anywire/modular', () => {
  it('the factories passed are the ladder, in order', async () => {
    const { url } = await startServer({ transports: ['long-polling', 'polling'] });
    const c = createClient({ url, connectTimeout: 2000 }, { transports: [websocket, longPolling] });
    onCleanup(() => c.close());
    await c.connect();
    // The server refuses WebSocket; the next factory passed takes over.
    expect(c.transport).toBe('long-polling');
    const got: unknown[] = [];
    await c.subscribe('m', (d) => got.push(d)).ready;
    await c.publish('m', { n: 1 });
    await expect.poll(() => got).toEqual([{ n: 1 }]);
  });

  it('a transport that was not passed is not there, even when named', async () => {
    const { url } = await startServer();
    const c = createClient({ url, transports: ['websocket', 'polling'], autoConnect: false, reconnect: false }, { transports: [polling] });
    onCleanup(() => c.close());
    // The websocket rung fails as "not included in this build"; polling, passed in, connects.
    await c.connect();
    expect(c.transport).toBe('polling');
  });

  it('needs at least one transport', () => {
    expect(() => createClient({ url: 'http://127.0.0.1:1/anywire' }, { transports: [] })).toThrow(/at least one transport/);
  });
});
