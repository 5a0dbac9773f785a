// The browser's ClientEnvironment: the platform's WebSocket and fetch, and its lifecycle signals.
// Read from globals at `createClient` time, never at import time (the module may load during SSR).
import type { TransportFactory, WebSocketConstructor } from '../core/transport.js';
import type { ClientEnvironment } from '../core/client.js';
import { browserLifecycle } from './lifecycle.js';

export function browserEnvironment(transports: readonly TransportFactory[]): ClientEnvironment {
  const env: ClientEnvironment = {
    runtime: {
      WebSocket: typeof WebSocket === 'function' ? (WebSocket as unknown as WebSocketConstructor) : undefined,
      fetch: typeof fetch === 'function' ? fetch.bind(globalThis) : undefined,
      reportError: typeof reportError === 'function' ? reportError.bind(globalThis) : undefined,
    },
    factories: {},
  };
  for (const t of transports) env.factories[t.name] = t;
  const lifecycle = browserLifecycle();
  if (lifecycle) env.lifecycle = lifecycle;
  return env;
}
