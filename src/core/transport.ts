// The transport contract, owned by the core: the adapters (src/adapters) implement it. A transport
// is small and dumb: it moves batches of frames and reports when it closes. Everything else
// (handshake, subscriptions, positions, recovery) lives in the core.
import type { ClientFrame, ServerFrame, Since } from './grammar.js';

export type TransportName = 'websocket' | 'sse' | 'long-polling' | 'polling';

/** What the runtime entry (browser or Node) supplies; the core never reaches for globals. */
export interface Runtime {
  /** A WHATWG-compatible WebSocket constructor (the platform's, or `ws` in Node). */
  WebSocket?: WebSocketConstructor | undefined;
  /** A WHATWG fetch. */
  fetch?: typeof fetch | undefined;
  /**
   * The platform's report of an application error (the browser's `reportError`); without it, a
   * throw of app code nobody hears on the `error` event is rethrown asynchronously.
   */
  reportError?: ((error: unknown) => void) | undefined;
}

export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface CloseInfo {
  /** Human-readable reason, used in TRANSPORTS_EXHAUSTED and `state` events. */
  reason: string;
  /** An anywire error code when the close carries one (e.g. SESSION_INVALID, SERVER_SHUTTING_DOWN). */
  code?: string | undefined;
  /** Server hint in ms before reconnecting. */
  retryAfter?: number | undefined;
}

export interface TransportHandlers {
  /** Validated frames from the server, in order. An empty batch still proves the link is alive. */
  onFrames(frames: ServerFrame[]): void;
  /** Called once when the transport can no longer carry frames. Never called after `close()`. */
  onClose(info: CloseInfo): void;
}

export interface TransportContext {
  /** The endpoint, e.g. `http://host:8080/anywire`. */
  url: string;
  runtime: Runtime;
  /** Resolved token for this attempt, for transports that can send it as a header. */
  token: string | undefined;
  /** The client's `pollInterval` (short polling's ms between requests). */
  pollInterval?: number | undefined;
  /**
   * The core's position in every subscribed channel, read at call time (live, not a copy): what the
   * HTTP transports send with every downstream request (`cursorOf` turns it into cursor entries).
   * The core (`Channels`) is the only owner of positions; it always supplies this (optional only for
   * transports built by hand in tests).
   */
  positions?: (() => Iterable<ChannelPosition>) | undefined;
}

/** One channel's subscription and position, as the core holds it (read-only for transports). */
export interface ChannelPosition {
  readonly name: string;
  /** Id of the `sub` frame in flight or confirmed on the current link. */
  readonly subId: number;
  readonly epoch?: string | undefined;
  /** Last offset delivered to the app. */
  readonly offset?: number | undefined;
  /** The server confirmed `subId`. */
  readonly confirmed: boolean;
  /** What the `sub` frame carries besides the position (rewind, presence), so a server that rebuilds the session has it too. */
  readonly rw?: number | undefined;
  readonly pc?: string | undefined;
  readonly p?: unknown;
}

/** One subscription as the server sees it on every HTTP request; `q` marks one already confirmed. */
export interface CursorEntry {
  id: number;
  ch: string;
  since?: Since;
  q?: true;
  rw?: number;
  pc?: string;
  p?: unknown;
}

/** The cursor entries of the core's positions (for the HTTP transports; WebSocket never needs it). */
export function cursorOf(positions: Iterable<ChannelPosition>): CursorEntry[] {
  const out: CursorEntry[] = [];
  for (const p of positions) {
    const e: CursorEntry = { id: p.subId, ch: p.name };
    if (p.epoch !== undefined && p.offset !== undefined) e.since = { e: p.epoch, o: p.offset };
    if (p.confirmed) e.q = true;
    if (p.rw !== undefined) e.rw = p.rw;
    if (p.pc !== undefined) e.pc = p.pc;
    if (p.p !== undefined) e.p = p.p;
    out.push(e);
  }
  return out;
}

export interface Transport {
  readonly name: TransportName;
  /** False when client→server frames go by HTTP POST beside the downstream. */
  readonly duplex: boolean;
  /**
   * Starts the transport. Resolves when `send` may be called; rejects (or the signal aborts it)
   * when it cannot open. The first frame the core sends is `connect`; the first it expects back
   * is `welcome`.
   */
  open(handlers: TransportHandlers, signal: AbortSignal): Promise<void>;
  /** Sends a batch of frames. Never throws; a broken link reports through `onClose`. */
  send(frames: ClientFrame[]): void;
  /** Closes quietly: `onClose` is not called. */
  close(): void;
}

/**
 * A transport factory, passed to `createClient` by the entry point (tree-shakeable). Opaque in the
 * published types: apps pass the ones `anywire/transports/*` export, they do not write their own.
 */
export interface TransportFactory {
  readonly name: TransportName;
  /** @internal */
  create(context: TransportContext): Transport;
}
