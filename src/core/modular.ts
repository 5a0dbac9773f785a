// What `anywire/modular` (browser and Node) share: the transports are passed in, and their order
// is the default fallback ladder.
import type { TransportFactory } from './transport.js';
import type { ClientOptions } from './options.js';

/** The transports this client may use. */
export interface ModularSetup {
  /**
   * Transport factories (from `anywire/transports/*`). Their order is the default fallback ladder;
   * `options.transports` may name a subset or another order. Required, at least one.
   */
  transports: readonly TransportFactory[];
}

/** The setup's factories, checked, and the options with the ladder they imply. */
export function modularSetup<O extends ClientOptions>(
  options: O,
  setup: ModularSetup,
): { options: O; transports: readonly TransportFactory[] } {
  const transports = setup?.transports ?? [];
  if (transports.length === 0) throw new TypeError('anywire: createClient(options, { transports }) needs at least one transport');
  return { options: { ...options, transports: options.transports ?? transports.map((t) => t.name) }, transports };
}
