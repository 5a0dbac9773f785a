// How the script-tag bundle loads the share module: the sibling of the file this bundle came from
// (`client.js` → `client.share.js`, `anywire.global.js` → `anywire.global.share.js`, read from
// document.currentScript while the bundle runs), imported as a module; it registers itself.
import type { ShareModule } from './index.js';

const src = (globalThis.document?.currentScript as HTMLScriptElement | null)?.src;

export const loadShareScript = (): Promise<ShareModule> =>
  import(/* @vite-ignore */ src!.replace(/\.js(?=[?#]|$)/, '.share.js')).then(
    () => (globalThis as Record<symbol, ShareModule>)[Symbol.for('anywire.share')]!,
  );
