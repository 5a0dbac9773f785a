/**
 * anywire/modular for Node — the same API as the browser's `anywire/modular`: a client with only
 * the transports passed in. WebSocket comes from the `ws` package (or `options.WebSocket`), HTTP
 * transports use Node's fetch.
 */
import { createCoreClient, type Client } from '../core/client.js';
import { modularSetup, type ModularSetup } from '../core/modular.js';
import { nodeEnvironment } from './environment.js';
import type { NodeClientOptions } from './index.js';

export * from '../core/public.js';
export type { TransportFactory } from '../core/transport.js';
export type { ModularSetup } from '../core/modular.js';
export type { NodeClientOptions } from './index.js';

/** Creates a client that can use only the transports passed in `setup`. */
export function createClient(options: NodeClientOptions, setup: ModularSetup): Client {
  const { WebSocket: CustomWebSocket, ...rest } = options;
  const { options: core, transports } = modularSetup(rest, setup);
  return createCoreClient(core, nodeEnvironment(transports, CustomWebSocket));
}
