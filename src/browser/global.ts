/** The script-tag entry: `dist/anywire.global.js` exposes `window.Anywire`. */
export { createClient } from './script-client.js';
export { AnywireError } from '../core/errors.js';
export { codes } from '../core/codes.js';
