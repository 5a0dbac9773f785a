/**
 * The Node server: `createServer`, `memoryBroker`, `redisBroker`.
 *
 * @module anywire/server
 */
export * from '../src/node/server/index.js';
