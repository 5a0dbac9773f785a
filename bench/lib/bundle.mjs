// Bundle sizes: min+gzip of the browser client (full, and WebSocket only) next to socket.io-client,
// built the same way for all three (esbuild, ESM, browser platform, minified; gzip level 9).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { ROOT } from './systems.mjs';

const BENCH = ROOT + 'bench/';

/**
 * WebSocket only: the modular browser entry (`src/browser/modular.ts`) with just the websocket
 * factory when the browser build ships one; else a tiny entry of core + websocket factory.
 */
function wsOnlyEntry() {
  if (existsSync(ROOT + 'src/browser/modular.ts')) {
    return {
      contents: [
        "import { createClient as create } from './src/browser/modular.ts';",
        "import { websocket } from './src/adapters/websocket.ts';",
        "export { AnywireError, codes } from './src/browser/modular.ts';",
        'export const createClient = (options) => create(options, { transports: [websocket] });',
      ].join('\n'),
      note: 'src/browser/modular.ts + websocket factory',
    };
  }
  return {
    contents: [
      "import { websocket } from './src/adapters/websocket.ts';",
      "import { createCoreClient } from './src/core/client.ts';",
      "export { AnywireError, codes } from './src/core/public.ts';",
      'export function createClient(options) {',
      '  return createCoreClient(options, { runtime: { WebSocket: globalThis.WebSocket }, factories: { websocket } });',
      '}',
    ].join('\n'),
    note: 'bench entry: core + websocket factory only',
  };
}

export async function measureBundles() {
  const require = createRequire(ROOT + 'package.json');
  const esbuild = require('esbuild');
  const build = async (contents, resolveDir) => {
    const r = await esbuild.build({
      stdin: { contents, resolveDir, sourcefile: 'entry.ts', loader: 'ts' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const code = r.outputFiles[0].contents;
    return { min: code.length, gzip: gzipSync(code, { level: 9 }).length };
  };
  const ws = wsOnlyEntry();
  const out = [];
  out.push({
    name: 'anywire (full browser client)',
    key: 'full',
    ...(await build("export * from './src/browser/index.ts';", ROOT)),
    note: 'src/browser/index.ts',
  });
  out.push({ name: 'anywire (WebSocket only)', key: 'wsOnly', ...(await build(ws.contents, ROOT)), note: ws.note });
  out.push({
    name: 'socket.io-client 4.8',
    key: 'socketio',
    ...(await build("export { io } from 'socket.io-client';", BENCH)),
    note: "export { io } from 'socket.io-client'",
  });
  return out;
}
