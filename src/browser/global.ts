/** The script-tag entry: `dist/anywire.global.js` exposes `window.Anywire`. */
import { longPolling } from '../adapters/long-polling.js';
import { polling } from '../adapters/polling.js';
import { sse } from '../adapters/sse.js';
import { websocket } from '../adapters/websocket.js';
import { createCoreClient, type Client } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';
import { browserEnvironment } from './environment.js';
import { shareEnvironment } from './share/index.js';
import { loadShareScript } from './share/script.js';

export { AnywireError } from '../core/errors.js';
export { codes } from '../core/codes.js';

/** As `createClient` of `anywire`; with shareConnection, the share module loads from a sibling file. */
export function createClient(options: ClientOptions): Client {
  return createCoreClient(options, shareEnvironment(options, browserEnvironment([websocket, sse, longPolling, polling]), loadShareScript));
}
