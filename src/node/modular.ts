/**
 * anywire/modular for Node — the same API as the browser's `anywire/modular`: a client with only
 * the transports passed in. WebSocket comes from the `ws` package (or `options.WebSocket`), HTTP
 * transports use Node's fetch.
 */
import WebSocket from 'ws';
import type { TransportFactory, WebSocketConstructor } from '../adapters/types.js';
import { createCoreClient, type Client, type ClientEnvironment } from '../core/client.js';
import type { NodeClientOptions } from './index.js';

export * from '../core/public.js';
export type { TransportFactory } from '../adapters/types.js';
export type { NodeClientOptions } from './index.js';

/** The transports this client may use. */
export interface ModularSetup {
  /**
   * Transport factories (from `anywire/transports/*`). Their order is the default fallback ladder;
   * `options.transports` may name a subset or another order. Required, at least one.
   */
  transports: readonly TransportFactory[];
}

/** Creates a client that can use only the transports passed in `setup`. */
export function createClient(options: NodeClientOptions, setup: ModularSetup): Client {
  const transports = setup?.transports ?? [];
  if (transports.length === 0) throw new TypeError('anywire: createClient(options, { transports }) needs at least one transport');
  const { WebSocket: CustomWebSocket, ...core } = options;
  const env: ClientEnvironment = {
    runtime: { WebSocket: (CustomWebSocket ?? WebSocket) as unknown as WebSocketConstructor, fetch: globalThis.fetch },
    factories: {},
  };
  for (const t of transports) env.factories[t.name] = t;
  return createCoreClient({ ...core, transports: core.transports ?? transports.map((t) => t.name) }, env);
}
