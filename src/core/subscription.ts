import { Emitter } from './emitter.js';
import { AnywireError } from './errors.js';
import type { GapReason } from './frames.js';
import type { PresenceMember } from './presence.js';

export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

/** Delivered with every message. */
export interface MessageMeta {
  channel: string;
  /** Per-channel, strictly increasing within the channel's epoch. */
  offset: number;
}

export type MessageHandler<T> = (data: T, meta: MessageMeta) => void;

/** The third argument of `client.subscribe()`. */
export interface SubscribeOptions {
  /**
   * Deliver the last `rewind` messages of the channel's history first, then live ones: no gap and
   * no duplicate between them. Applies when the channel's first subscription of this client is
   * made; capped at 1000 and at what history holds. Default: none (live messages only).
   */
  rewind?: number;
  /** This client's presence data on the channel (any JSON value, at most 1 KiB), when the server enables presence there. Default: none. */
  presence?: unknown;
}

export interface SubscriptionEvents {
  /** Each time the server confirms; `resumed` is true when history covered the outage. */
  subscribed: (ctx: { channel: string; resumed: boolean }) => void;
  /** History could not cover an outage: the app must refetch. Fires before later messages. */
  gap: (ctx: { channel: string; reason: GapReason; lastOffset: number }) => void;
  /** The server refused the subscription (e.g. FORBIDDEN); the subscription is over. */
  error: (err: AnywireError) => void;
  /** A member's first connection subscribed (presence; see docs/presence.md). */
  join: (ctx: { member: PresenceMember }) => void;
  /** A member's last connection left, after the server's presenceGrace. */
  leave: (ctx: { member: PresenceMember }) => void;
}

/**
 * One `client.subscribe()` call. Several subscriptions to one channel share one server-side
 * subscription and one recovery position (see `ChannelRecord` in client.ts).
 */
export class Subscription<T = unknown> extends Emitter<SubscriptionEvents> {
  readonly channel: string;
  /** Resolves when the server first confirms; rejects with AnywireError (e.g. FORBIDDEN). */
  readonly ready: Promise<void>;
  #_state: SubscriptionState = 'subscribing';
  #settle: { resolve: () => void; reject: (e: AnywireError) => void } | undefined;
  /** @internal */
  readonly handler: MessageHandler<T> | undefined;
  /** @internal */
  readonly options: SubscribeOptions;
  readonly #leave: (sub: Subscription<T>) => void;
  readonly #ask: (channel: string) => Promise<PresenceMember[]>;

  /** @internal Created by `client.subscribe()`. */
  constructor(
    channel: string,
    handler: MessageHandler<T> | undefined,
    leave: (sub: Subscription<T>) => void,
    options: SubscribeOptions,
    ask: (channel: string) => Promise<PresenceMember[]>,
  ) {
    super();
    this.#ask = ask;
    this.channel = channel;
    this.handler = handler;
    this.options = options;
    this.#leave = leave;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // An app that never awaits `ready` must not crash Node with an unhandled rejection.
    this.ready.catch(() => {});
  }

  get state(): SubscriptionState {
    return this.#_state;
  }

  /**
   * Who is subscribed to the channel now (at most the server's cap of 1000 members), when the
   * server enables presence on it; needs `subscribe` permission. Rejects with BAD_REQUEST when
   * presence is off for the channel.
   */
  presence(): Promise<PresenceMember[]> {
    return this.#ask(this.channel);
  }

  /** Stops delivery and tells the server when this was the channel's last subscription. */
  unsubscribe(): void {
    if (this.#_state === 'unsubscribed') return;
    this.#_state = 'unsubscribed';
    this.#settle?.reject(new AnywireError('CLOSED', `unsubscribed from "${this.channel}" before it was confirmed`));
    this.#settle = undefined;
    this.#leave(this);
  }

  /** @internal */
  _subscribing(): void {
    if (this.#_state === 'subscribed') this.#_state = 'subscribing';
  }

  /** @internal */
  _subscribed(resumed: boolean): void {
    if (this.#_state === 'unsubscribed') return;
    this.#_state = 'subscribed';
    this.#settle?.resolve();
    this.#settle = undefined;
    this.emit('subscribed', { channel: this.channel, resumed });
  }

  /** @internal */
  _failed(err: AnywireError): void {
    if (this.#_state === 'unsubscribed') return;
    this.#_state = 'unsubscribed';
    this.#settle?.reject(err);
    this.#settle = undefined;
    this.emit('error', err);
  }
}
