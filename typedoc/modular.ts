/**
 * The client with only the transports passed in (`anywire/modular` with
 * `anywire/transports/websocket`, `…/sse`, `…/long-polling`, `…/polling`), for smaller bundles.
 *
 * @module anywire/modular
 */
export * from '../src/node/modular.js';
export { websocket } from '../src/adapters/websocket.js';
export { sse } from '../src/adapters/sse.js';
export { longPolling } from '../src/adapters/long-polling.js';
export { polling } from '../src/adapters/polling.js';
