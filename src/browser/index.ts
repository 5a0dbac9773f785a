/**
 * anywire — the realtime client for browsers (bundlers pick this through the `browser` export
 * condition). Uses the platform's WebSocket and fetch, wires `online`, `offline` and page
 * visibility into reconnection, and pulls in nothing from Node. Includes all four transports; for
 * a smaller bundle with only some of them, see `anywire/modular`.
 */
import { longPolling } from '../adapters/long-polling.js';
import { polling } from '../adapters/polling.js';
import { sse } from '../adapters/sse.js';
import { websocket } from '../adapters/websocket.js';
import { createCoreClient, type Client } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';
import { browserEnvironment } from './environment.js';
import { shareEnvironment } from './share/index.js';
import { loadShare } from './share/lazy.js';

export * from '../core/public.js';

/** Creates a client; see ClientOptions for every option and its default. */
export function createClient(options: ClientOptions): Client {
  return createCoreClient(options, shareEnvironment(options, browserEnvironment([websocket, sse, longPolling, polling]), loadShare));
}
