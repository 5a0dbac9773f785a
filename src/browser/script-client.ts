// `createClient` of the script tag: as `anywire`'s, except that shareConnection loads its module
// from the sibling file of the bundle (see share/script.ts), since a script tag has no chunks.
import { longPolling } from '../adapters/long-polling.js';
import { polling } from '../adapters/polling.js';
import { sse } from '../adapters/sse.js';
import { websocket } from '../adapters/websocket.js';
import { createCoreClient, type Client } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';
import { browserEnvironment } from './environment.js';
import { shareEnvironment } from './share/index.js';
import { loadShareScript } from './share/script.js';

/** Creates a client; see ClientOptions for every option and its default. */
export function createClient(options: ClientOptions): Client {
  return createCoreClient(options, shareEnvironment(options, browserEnvironment([websocket, sse, longPolling, polling]), loadShareScript));
}
