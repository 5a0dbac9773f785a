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
 *
 * `shareConnection` costs nothing here unless asked for: pass `share` (exported below) in the setup.
 *
 * @example
 * import { createClient, share } from 'anywire/modular';
 * createClient({ url, shareConnection: true }, { transports: [websocket], share });
 */
import { createCoreClient, type Client } from '../core/client.js';
import { modularSetup, type ModularSetup } from '../core/modular.js';
import type { ClientOptions } from '../core/options.js';
import { browserEnvironment } from './environment.js';
import { shareEnvironment } from './share/index.js';
import { loadShare } from './share/lazy.js';
import type { ClientEnvironment } from '../core/client.js';

export * from '../core/public.js';
export type { TransportFactory } from '../core/transport.js';
export type { ModularSetup } from '../core/modular.js';

/** `shareConnection` for `anywire/modular`: pass it as `share` in the setup (see docs/browser.md). */
export const share = (options: ClientOptions, env: ClientEnvironment): ClientEnvironment => shareEnvironment(options, env, loadShare);

/** Creates a client that can use only the transports passed in `setup` (and `share`, to share a connection across tabs). */
export function createClient(options: ClientOptions, setup: ModularSetup & { share?: typeof share }): Client {
  const { options: core, transports } = modularSetup(options, setup);
  const env = browserEnvironment(transports);
  return createCoreClient(core, setup.share ? setup.share(core, env) : env);
}
