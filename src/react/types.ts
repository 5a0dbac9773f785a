// The types the hooks share. Only types from the client: anywire/react adds no client code.
import type { Client } from '../core/client.js';
import type { MessageHandler, Subscription } from '../core/subscription.js';

/**
 * The client the hooks use: what `createClient()` returns (from `anywire` or `anywire/modular`).
 * Typed by the members the hooks call, so a test's fake client fits too.
 */
export type AnywireClient = Pick<Client, 'state' | 'transport' | 'on' | 'off' | 'subscribe' | 'publish'>;

/** The third argument of `client.subscribe()` (e.g. `{ rewind: 20 }`), whatever this client takes. */
export type SubscribeOptions =
  Parameters<Client['subscribe']> extends [unknown, unknown?, (infer O)?, ...unknown[]]
    ? unknown extends O
      ? Record<string, unknown>
      : // Options a newer client takes (e.g. presence's `rewind`) pass through to it.
        NonNullable<O> & Record<string, unknown>
    : Record<string, unknown>;

/** A member of a channel's presence (the contract's `PresenceMember`). */
export interface PresenceMember {
  /** The identity's id (authenticate's `id`), or one client's id without `authenticate`. */
  id: string;
  /** What `authenticate` returned for the member, when the server shares it. */
  identity?: unknown;
  /** The data the member subscribed with (`usePresence(channel, data)`). */
  data?: unknown;
  /** How many connections (tabs, devices) of this member are subscribed. */
  connections: number;
}

/** What `useChannel` returns. */
export interface ChannelResult {
  /** Publishes to the hook's channel: `client.publish(channel, data)`. Stable across renders. */
  publish: (data: unknown) => Promise<{ offset: number }>;
  /**
   * The subscription's state: 'subscribing' until the server confirms (also while the client
   * reconnects, and during server-side rendering), 'subscribed', or 'unsubscribed' once refused.
   */
  state: Subscription['state'];
  /** Why the server refused the subscription (e.g. FORBIDDEN), once it did. */
  error: Error | undefined;
}

export type { MessageHandler };
export type { MessageMeta } from '../core/subscription.js';
export type { ClientState } from '../core/state.js';
export type { TransportName } from '../adapters/types.js';
