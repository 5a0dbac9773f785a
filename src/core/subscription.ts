import { Emitter, type Listenable } from './emitter.js';
import { AnywireError } from './errors.js';
import type { GapReason } from './grammar.js';
import type { SubscribeOptions } from './options.js';
import type { PresenceMember } from './presence.js';
import type { StandardSchemaV1 } from './standard-schema.js';

export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

/** Delivered with every message. */
export interface MessageMeta {
  channel: string;
  /** Per-channel, strictly increasing within the channel's epoch. */
  offset: number;
}

export type MessageHandler<T> = (data: T, meta: MessageMeta) => void;

export interface SubscriptionEvents {
  /** Each time the server confirms; `resumed` is true when history covered the outage. */
  subscribed: (ctx: { channel: string; resumed: boolean }) => void;
  /** History could not cover an outage: the app must refetch. Fires before later messages. */
  gap: (ctx: { channel: string; reason: GapReason; lastOffset: number }) => void;
  /**
   * The server refused the subscription (e.g. FORBIDDEN): the subscription is over. Or, with code
   * BAD_REQUEST, a message failed the subscription's `schema`: it was skipped, delivery goes on.
   */
  error: (err: AnywireError) => void;
  /** A member's first connection subscribed (presence; see docs/presence.md). */
  join: (ctx: { member: PresenceMember }) => void;
  /** A member's last connection left, after the server's presenceGrace. */
  leave: (ctx: { member: PresenceMember }) => void;
}

/**
 * One `client.subscribe()` call. Several subscriptions to one channel share one server-side
 * subscription and one recovery position.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- T types the handler given to subscribe()
export interface Subscription<T = unknown> extends Listenable<SubscriptionEvents> {
  readonly channel: string;
  /**
   * Resolves when the server first confirms; rejects with AnywireError (e.g. FORBIDDEN, or CLOSED
   * when `unsubscribe()` or `client.close()` comes first).
   */
  readonly ready: Promise<void>;
  /** `subscribing` (also again while reconnecting), `subscribed` or `unsubscribed`. */
  readonly state: SubscriptionState;
  /** Stops delivery and tells the server when this was the channel's last subscription. */
  unsubscribe(): void;
  /**
   * Who is subscribed to the channel now (at most the server's cap of 1000 members), when the
   * server enables presence on it; needs `subscribe` permission. Rejects with BAD_REQUEST when
   * presence is off for the channel.
   */
  presence(): Promise<PresenceMember[]>;
}

/** Reports a throw of application code (a listener or handler); see `Client#report`. */
export type Report = (cause: unknown, where: string) => void;

/** The implementation of `Subscription`, internal to the core (`Channels` drives it). */
export class Sub<T = unknown> extends Emitter<SubscriptionEvents> implements Subscription<T> {
  readonly channel: string;
  readonly ready: Promise<void>;
  #state: SubscriptionState = 'subscribing';
  #settle: { resolve: () => void; reject: (e: AnywireError) => void } | undefined;
  readonly handler: MessageHandler<T> | undefined;
  readonly #leave: (sub: Sub<T>) => void;
  readonly report: Report;
  /** Checks every message (schema.ts). */
  readonly schema: StandardSchemaV1 | undefined;
  /** Rewind and presence data (presence.ts). */
  readonly options: SubscribeOptions;
  readonly #ask: (channel: string) => Promise<PresenceMember[]>;

  constructor(
    channel: string,
    handler: MessageHandler<T> | undefined,
    leave: (sub: Sub<T>) => void,
    report: Report,
    options: SubscribeOptions,
    ask: (channel: string) => Promise<PresenceMember[]>,
  ) {
    super();
    this.options = options;
    this.#ask = ask;
    const schema = options.schema;
    this.channel = channel;
    this.handler = handler;
    this.schema = schema;
    this.#leave = leave;
    this.report = report;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    // An app that never awaits `ready` must not crash Node with an unhandled rejection.
    this.ready.catch(() => {});
  }

  get state(): SubscriptionState {
    return this.#state;
  }

  presence(): Promise<PresenceMember[]> {
    return this.#ask(this.channel);
  }

  unsubscribe(): void {
    if (this.#state === 'unsubscribed') return;
    this.#state = 'unsubscribed';
    this.settle(new AnywireError('CLOSED', `unsubscribed from "${this.channel}" before it was confirmed`));
    this.#leave(this);
  }

  protected override fault(cause: unknown, event: string): void {
    this.report(cause, `a "${event}" listener of "${this.channel}"`);
  }

  /** Settles `ready` if it is still pending: resolved without an error, else rejected with it. */
  settle(err?: AnywireError): void {
    if (err) this.#settle?.reject(err);
    else this.#settle?.resolve();
    this.#settle = undefined;
  }

  subscribing(): void {
    if (this.#state === 'subscribed') this.#state = 'subscribing';
  }

  subscribed(resumed: boolean): void {
    if (this.#state === 'unsubscribed') return;
    this.#state = 'subscribed';
    this.settle();
    this.emit('subscribed', { channel: this.channel, resumed });
  }

  failed(err: AnywireError): void {
    if (this.#state === 'unsubscribed') return;
    this.#state = 'unsubscribed';
    this.settle(err);
    this.emit('error', err);
  }
}
