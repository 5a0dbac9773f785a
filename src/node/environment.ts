// The Node ClientEnvironment: `ws` (or the caller's WebSocket constructor) and Node's fetch.
import WebSocket from 'ws';
import type { TransportFactory, WebSocketConstructor } from '../core/transport.js';
import type { ClientEnvironment } from '../core/client.js';

export function nodeEnvironment(
  transports: readonly TransportFactory[],
  CustomWebSocket: (new (url: string, protocols?: string | string[]) => unknown) | undefined,
): ClientEnvironment {
  const env: ClientEnvironment = {
    runtime: { WebSocket: (CustomWebSocket ?? WebSocket) as unknown as WebSocketConstructor, fetch: globalThis.fetch },
    factories: {},
  };
  for (const t of transports) env.factories[t.name] = t;
  return env;
}
