// `shareConnection`: the hook the browser entries call. It is small on purpose: it decides whether
// this client shares (the option is set, and the browser has Web Locks and BroadcastChannel), names
// the group, and hands the core virtual transports that load the rest (./group.ts, ./hub.ts) by a
// dynamic import on first use, so an app that does not share does not load that code (in bundles
// that split; the script-tag bundle inlines it).
import type { Transport, TransportName } from '../../adapters/types.js';
import type { ClientEnvironment } from '../../core/client.js';
import { AnywireError } from '../../core/errors.js';
import type { ClientOptions } from '../../core/options.js';

type GroupModule = typeof import('./group.js');
type Group = ReturnType<GroupModule['joinGroup']>;

/** The environment of a client: shared when asked and supported, else `env` itself. */
export function shareEnvironment(options: ClientOptions, env: ClientEnvironment): ClientEnvironment {
  const share = options.shareConnection;
  if (!share || typeof BroadcastChannel !== 'function' || typeof navigator === 'undefined' || typeof navigator.locks?.request !== 'function') {
    return env;
  }
  const key = groupKey(options);
  let group: Promise<Group> | undefined;
  const load = () => (group ??= import('./group.js').then((m) => m.joinGroup(key, options, env)));
  const factories: ClientEnvironment['factories'] = {};
  for (const name of Object.keys(env.factories) as TransportName[]) factories[name] = { name, create: () => lazyLink(name, load) };
  return {
    runtime: env.runtime,
    factories,
    lifecycle: (hooks) => {
      const off = env.lifecycle?.(hooks);
      let leave: (() => void) | undefined;
      let closed = false;
      load().then(
        (g) => {
          if (!closed) leave = g.attach(hooks);
        },
        () => {},
      );
      return () => {
        closed = true;
        off?.();
        leave?.();
      };
    },
  };
}

/** A link whose code arrives with the group module. */
function lazyLink(name: TransportName, load: () => Promise<Group>): Transport {
  let inner: Transport | undefined;
  let closed = false;
  return {
    name,
    duplex: true,
    open: (handlers, signal) =>
      load().then((g) => {
        if (closed || signal.aborted) throw new AnywireError('CLOSED', 'client closed');
        inner = g.transport(name);
        return inner.open(handlers, signal);
      }),
    send: (frames) => inner?.send(frames),
    close: () => {
      closed = true;
      inner?.close();
    },
  };
}

/**
 * The group's name: tabs share only with the same url, ladder, key and token identity. A static
 * token is compared by value, a token function by its source text (tabs running the same code);
 * an app whose tabs may hold different users with one function names the user in the key.
 */
export function groupKey(options: ClientOptions): string {
  const t = options.token;
  const token = t === undefined ? '' : typeof t === 'function' ? 'f' + String(t) : 's' + t;
  const parts = [String(options.url).replace(/\/+$/, ''), (options.transports ?? []).join(), String(options.shareConnection), token];
  return 'anywire-share:' + hash(JSON.stringify(parts));
}

/** cyrb53: a 53-bit string hash (not a secret: lock and channel names are the origin's only). */
function hash(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
