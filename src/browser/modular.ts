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
import type { TransportFactory } from '../adapters/types.js';
import { createCoreClient, type Client } from '../core/client.js';
import type { ClientOptions } from '../core/options.js';
import { browserEnvironment } from './environment.js';

export * from '../core/public.js';
export type { TransportFactory } from '../adapters/types.js';

/** The transports this client may use. */
export interface ModularSetup {
  /**
   * Transport factories (from `anywire/transports/*`). Their order is the default fallback ladder;
   * `options.transports` may name a subset or another order. Required, at least one.
   */
  transports: readonly TransportFactory[];
}

/** Creates a client that can use only the transports passed in `setup`. */
export function createClient(options: ClientOptions, setup: ModularSetup): Client {
  const transports = setup?.transports ?? [];
  if (transports.length === 0) throw new TypeError('anywire: createClient(options, { transports }) needs at least one transport');
  return createCoreClient(
    { ...options, transports: options.transports ?? transports.map((t) => t.name) },
    browserEnvironment(transports),
  );
}
