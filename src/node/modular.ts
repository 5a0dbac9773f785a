/**
 * anywire/modular for Node — the same API as the browser's `anywire/modular`: a client with only
 * the transports passed in. WebSocket comes from the `ws` package (or `options.WebSocket`), HTTP
 * transports use Node's fetch.
 */
import { createCoreClient, type Client, type ClientEnvironment } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';
import { modularSetup, type ModularSetup } from '../core/modular.js';
import { nodeEnvironment } from './environment.js';
import type { NodeClientOptions } from './index.js';

export * from '../core/public.js';
export type { TransportFactory } from '../core/transport.js';
export type { ModularSetup } from '../core/modular.js';
export type { NodeClientOptions } from './index.js';

/**
 * `shareConnection` across browser tabs, for the browser's `anywire/modular` (pass it as `share`
 * in the setup). In Node there are no tabs: it changes nothing, each client keeps its own connection.
 */
export const share = (_options: ClientOptions, env: ClientEnvironment): ClientEnvironment => env;

/** Creates a client that can use only the transports passed in `setup` (`share` is ignored in Node). */
export function createClient(options: NodeClientOptions, setup: ModularSetup & { share?: typeof share }): Client {
  const { WebSocket: CustomWebSocket, ...rest } = options;
  const { options: core, transports } = modularSetup(rest, setup);
  return createCoreClient(core, nodeEnvironment(transports, CustomWebSocket));
}
