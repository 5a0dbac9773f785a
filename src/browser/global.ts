/** The script-tag entry: `dist/anywire.global.js` exposes `window.Anywire`. */
export { createClient, AnywireError, codes } from './index.js';
