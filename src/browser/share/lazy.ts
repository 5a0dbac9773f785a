// The share module as a lazy chunk of the ESM and CJS builds: bundlers that split code (Vite,
// webpack, Rollup, esbuild --splitting, Parcel) fetch it only when a client sets shareConnection.
import type { ShareModule } from './index.js';

export const loadShare = (): Promise<ShareModule> => import('./group.js');
