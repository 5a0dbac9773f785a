/**
 * anywire — the realtime client for Node. Same API as in the browser; WebSocket comes from the
 * `ws` package (Node 20 has no global WebSocket), HTTP transports use Node's fetch.
 */
import { websocket } from '../adapters/websocket.js';
import { sse } from '../adapters/sse.js';
import { longPolling } from '../adapters/long-polling.js';
import { polling } from '../adapters/polling.js';
import { createCoreClient, type Client } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';
import { nodeEnvironment } from './environment.js';

export * from '../core/public.js';

/** Options of the Node client: every `ClientOptions` field, plus Node-only ones. */
export interface NodeClientOptions extends ClientOptions {
  /**
   * The WebSocket constructor to use, called as `new WebSocket(url)`. Default: the `ws` package's.
   * Pass a subclass of `ws` to set TLS or proxy options, e.g. a private CA for `wss://`.
   *
   * @example
   * import WebSocket from 'ws';
   * class TrustingWebSocket extends WebSocket {
   *   constructor(url: string, protocols?: string | string[]) {
   *     super(url, protocols, { ca: readFileSync('ca.pem') });
   *   }
   * }
   * createClient({ url: 'https://127.0.0.1:8443/anywire', WebSocket: TrustingWebSocket });
   */
  WebSocket?: new (url: string, protocols?: string | string[]) => unknown;
}

/** Creates a client; see ClientOptions for every option and its default. */
export function createClient(options: NodeClientOptions): Client {
  const { WebSocket: CustomWebSocket, ...core } = options;
  return createCoreClient(core, nodeEnvironment([websocket, sse, longPolling, polling], CustomWebSocket));
}
