// The names every client entry exports (the contract's client API).
export { AnywireError } from './errors.js';
export { codes, type Code } from './codes.js';
export type { Client, ClientEvents } from './client.js';
export type { ClientOptions, SubscribeOptions, PublishOptions } from './options.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export type { ReconnectOptions } from './backoff.js';
export type { ClientState } from './state.js';
export type { Subscription, SubscriptionEvents, SubscriptionState, MessageMeta, MessageHandler } from './subscription.js';
export type { GapReason } from './frames.js';
export type { HistoryOptions, HistoryPage } from './history.js';
export type { PresenceMember } from './presence.js';
export type { TransportName } from './transport.js';
