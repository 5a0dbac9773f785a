// The Node ClientEnvironment: `ws` (or the caller's WebSocket constructor) and Node's fetch. `ws`
// is loaded on the first WebSocket the client opens, so a client on HTTP transports never loads it.
import { createRequire } from 'node:module';
import type { TransportFactory, WebSocketConstructor } from '../core/transport.js';
import type { ClientEnvironment } from '../core/client.js';

type WsConstructor = new (url: string, protocols?: string | string[]) => object;
let ws: WsConstructor | undefined;

/** Constructs a `ws` WebSocket, requiring the package the first time. */
function LazyWebSocket(url: string, protocols?: string | string[]): object {
  ws ??= createRequire(import.meta.url)('ws') as WsConstructor;
  return new ws(url, protocols);
}

export function nodeEnvironment(
  transports: readonly TransportFactory[],
  CustomWebSocket: (new (url: string, protocols?: string | string[]) => unknown) | undefined,
): ClientEnvironment {
  const env: ClientEnvironment = {
    runtime: { WebSocket: (CustomWebSocket ?? LazyWebSocket) as unknown as WebSocketConstructor, fetch: globalThis.fetch },
    factories: {},
  };
  for (const t of transports) env.factories[t.name] = t;
  return env;
}
