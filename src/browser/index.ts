/**
 * anywire — the realtime client for browsers (bundlers pick this through the `browser` export
 * condition). Uses the platform's WebSocket and fetch; nothing from Node.
 */
import type { WebSocketConstructor } from '../adapters/types.js';
import { websocket } from '../adapters/websocket.js';
import { createCoreClient, type Client } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';

export * from '../core/public.js';

/** Creates a client; see ClientOptions for every option and its default. */
export function createClient(options: ClientOptions): Client {
  return createCoreClient(options, {
    runtime: {
      WebSocket: globalThis.WebSocket as unknown as WebSocketConstructor | undefined,
      fetch: typeof fetch === 'function' ? fetch.bind(globalThis) : undefined,
    },
    factories: { websocket },
  });
}
