// The share module for the script tag: `anywire.global.share.js` (served as `<path>/client.share.js`
// beside `<path>/client.js`), loaded by the script-tag bundle only when a client sets
// shareConnection. It registers itself under a global symbol that bundle reads on load.
import { joinGroup } from './group.js';

(globalThis as Record<symbol, unknown>)[Symbol.for('anywire.share')] = { joinGroup };
