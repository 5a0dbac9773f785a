/**
 * The client, for browsers (through a bundler's `browser` condition) and Node: `createClient`,
 * `AnywireError`, `codes`. In Node, WebSocket comes from the `ws` package.
 *
 * @module anywire
 */
export * from '../src/node/index.js';
