/**
 * anywire/server — the Node server: WebSocket, SSE, long polling and polling on one path, with an
 * in-memory broker for one process or Redis for many.
 *
 * @example
 * import { createServer } from 'anywire/server';
 * const server = createServer({ path: '/anywire' });
 * const { port } = await server.listen(8080, '127.0.0.1');
 * await server.publish('chat', { text: 'hello' });
 */
export { createServer, AnywireServer } from './server.js';
export { memoryBroker, type MemoryBrokerOptions } from './brokers/memory.js';
export { redisBroker, type RedisBrokerOptions, type RedisBrokerHandle } from './brokers/redis.js';
export type { Broker, BrokerMessage, BrokerListener, HistoryOptions, HistoryResult, Payload, SignalListener } from './brokers/types.js';
export type { ServerOptions, AuthorizeContext, Identity } from './options.js';
export type { ServerEvents } from './core.js';
export type { HistoryAnswer, HistoryMessage, HistoryQuery } from './history.js';
export type { PresenceMember } from './presence.js';
export type { ServerStats } from './metrics.js';
export type { StandardSchemaV1 } from '../../core/standard-schema.js';
export { AnywireError } from '../../core/errors.js';
export { codes, type Code } from '../../core/codes.js';
