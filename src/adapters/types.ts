// The transport contract lives in the core (src/core/transport.ts); the adapters implement it.
export type * from '../core/transport.js';
export { cursorOf } from '../core/transport.js';
