/**
 * anywire — the realtime client for Node. Same API as in the browser; WebSocket comes from the
 * `ws` package (Node 20 has no global WebSocket), HTTP transports use Node's fetch.
 */
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../adapters/types.js';
import { websocket } from '../adapters/websocket.js';
import { createCoreClient, type Client } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';

export * from '../core/public.js';

/** Creates a client; see ClientOptions for every option and its default. */
export function createClient(options: ClientOptions): Client {
  return createCoreClient(options, {
    runtime: { WebSocket: WebSocket as unknown as WebSocketConstructor, fetch: globalThis.fetch },
    factories: { websocket },
  });
}
