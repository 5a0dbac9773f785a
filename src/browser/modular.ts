/**
 * anywire/modular — the browser client with the transports you pass in, so a bundle carries only
 * those (`anywire` itself includes all four). Each transport is its own module:
 *
 * @example
 * import { createClient } from 'anywire/modular';
 * import { websocket } from 'anywire/transports/websocket';
 * import { longPolling } from 'anywire/transports/long-polling';
 *
 * const client = createClient({ url: 'https://example.com/anywire' }, { transports: [websocket, longPolling] });
 */
import { createCoreClient, type Client } from '../core/client.js';
import { modularSetup, type ModularSetup } from '../core/modular.js';
import type { ClientOptions } from '../core/options.js';
import { browserEnvironment } from './environment.js';

export * from '../core/public.js';
export type { TransportFactory } from '../core/transport.js';
export type { ModularSetup } from '../core/modular.js';

/** Creates a client that can use only the transports passed in `setup`. */
export function createClient(options: ClientOptions, setup: ModularSetup): Client {
  const { options: core, transports } = modularSetup(options, setup);
  return createCoreClient(core, browserEnvironment(transports));
}
