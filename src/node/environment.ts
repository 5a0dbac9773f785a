// The Node ClientEnvironment: `ws` (or the caller's WebSocket constructor) and Node's fetch. `ws`
// is loaded on the first WebSocket the client opens, so a client on HTTP transports never loads it.
import { createRequire } from 'node:module';
import type WebSocket from 'ws';
import type { TransportFactory, WebSocketConstructor, WebSocketLike } from '../core/transport.js';
import type { ClientEnvironment } from '../core/client.js';

type WsSocket = WebSocket & WebSocketLike;
type WsConstructor = typeof WebSocket;
let wsModule: WsConstructor | undefined;
/** The `ws` package, required the first time a socket needs it. */
const loadWs = (): WsConstructor => (wsModule ??= createRequire(import.meta.url)('ws') as WsConstructor);

/** Constructs a `ws` WebSocket (called with `new`, it returns the ws socket), loading the package the first time. */
const LazyWebSocket = function (url: string, protocols?: string | string[]): object {
  return new (loadWs())(url, protocols);
} as unknown as new (url: string, protocols?: string | string[]) => unknown;

/**
 * A `ws` socket seen through the WHATWG shape the adapter uses, but with messages taken from ws's
 * own `message` event: ws's `onmessage` wraps every message in a MessageEvent, which was a large
 * part of a Node client's cost per delivered message (fan-out to many subscribers in one process).
 */
class NodeSocket implements WebSocketLike {
  readonly #ws: WsSocket;
  #onmessage: ((ev: { data: unknown }) => void) | null = null;

  constructor(ws: WsSocket) {
    this.#ws = ws;
    ws.on('message', (data, isBinary) => this.#onmessage?.({ data: isBinary ? data : data.toString() }));
  }

  get binaryType(): string {
    return this.#ws.binaryType;
  }
  set binaryType(v: string) {
    this.#ws.binaryType = v as WebSocket['binaryType'];
  }
  get readyState(): number {
    return this.#ws.readyState;
  }
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }
  send(data: string | Uint8Array): void {
    this.#ws.send(data);
  }
  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }
  get onmessage(): ((ev: { data: unknown }) => void) | null {
    return this.#onmessage;
  }
  set onmessage(fn: ((ev: { data: unknown }) => void) | null) {
    this.#onmessage = fn;
  }
  get onopen(): ((ev: unknown) => void) | null {
    return this.#ws.onopen;
  }
  set onopen(fn: ((ev: unknown) => void) | null) {
    this.#ws.onopen = fn;
  }
  get onclose(): ((ev: { code: number; reason: string }) => void) | null {
    return this.#ws.onclose;
  }
  set onclose(fn: ((ev: { code: number; reason: string }) => void) | null) {
    this.#ws.onclose = fn;
  }
  get onerror(): ((ev: unknown) => void) | null {
    return this.#ws.onerror;
  }
  set onerror(fn: ((ev: unknown) => void) | null) {
    this.#ws.onerror = fn;
  }
}

/** A constructor whose sockets are NodeSocket wrappers when they are `ws` sockets (an EventEmitter). */
function fastMessages(Ctor: new (url: string, protocols?: string | string[]) => unknown): WebSocketConstructor {
  return function (url: string, protocols?: string | string[]) {
    const ws = new Ctor(url, protocols) as WsSocket;
    // Only a socket with ws's `on` can be a ws one; then ws is loaded already (the caller's subclass).
    return typeof (ws as { on?: unknown }).on === 'function' && ws instanceof loadWs() ? new NodeSocket(ws) : ws;
  } as unknown as WebSocketConstructor;
}

export function nodeEnvironment(
  transports: readonly TransportFactory[],
  CustomWebSocket: (new (url: string, protocols?: string | string[]) => unknown) | undefined,
): ClientEnvironment {
  const env: ClientEnvironment = {
    runtime: { WebSocket: fastMessages(CustomWebSocket ?? LazyWebSocket), fetch: globalThis.fetch },
    factories: {},
  };
  for (const t of transports) env.factories[t.name] = t;
  return env;
}
