// `shareConnection`: the hook the browser entries call. Tiny on purpose, since every browser
// bundle carries it: when the option is set and the browser has Web Locks and BroadcastChannel,
// the core gets transports that load the share module (./group.ts, ./hub.ts) on first use and open
// a link to the tab holding the connection; an app that does not share never loads that code.
import type { Transport } from '../../adapters/types.js';
import { createCoreClient, type ClientEnvironment } from '../../core/client.js';
import { AnywireError } from '../../core/errors.js';
import { PROTOCOL_VERSION } from '../../core/frames.js';
import type { ClientOptions } from '../../core/options.js';

/** The share module (./group.ts), however it is loaded. */
export type ShareModule = Pick<typeof import('./group.js'), 'joinGroup'>;

/**
 * The environment of a client: shared when asked and supported, else `env` itself. `loader`
 * fetches the share module (a dynamic import, or the script tag's sibling file). Should it fail
 * (a missing file, a CSP), each rung opens its own transport: the client's own connection.
 */
export function shareEnvironment(options: ClientOptions, env: ClientEnvironment, loader: () => Promise<ShareModule>): ClientEnvironment {
  if (!options.shareConnection || !globalThis.BroadcastChannel || !globalThis.navigator?.locks) return env;
  const group = loader().then((m) => m.joinGroup(options, env, { createCoreClient, AnywireError, v: PROTOCOL_VERSION }));
  group.catch(() => {});
  const factories: ClientEnvironment['factories'] = {};
  for (const f of Object.values(env.factories)) {
    factories[f!.name] = {
      name: f!.name,
      create(ctx) {
        let inner: Transport | undefined;
        // A close before the module arrived aborts `signal`, which the link obeys.
        return {
          name: f!.name,
          duplex: true,
          open: (handlers, signal) =>
            group
              .then(
                (g) => g.transport(f!.name),
                () => f!.create(ctx),
              )
              .then((t) => (inner = t).open(handlers, signal)),
          send: (frames) => inner?.send(frames),
          close: () => inner?.close(),
        };
      },
    };
  }
  // The page's own lifecycle signals are wired by the group (or here, if the module cannot load).
  return {
    runtime: env.runtime,
    factories,
    lifecycle: (hooks) => {
      const off = group.then(
        (g) => g.attach(hooks, env.lifecycle),
        () => env.lifecycle?.(hooks),
      );
      return () => void off.then((fn) => fn?.());
    },
  };
}
