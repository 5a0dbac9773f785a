import { defineConfig } from 'tsup';

// stripInternal: members marked `@internal` (the core's side of a TransportFactory) are not in the
// published types; test/package/types.test.ts checks what the .d.ts files expose.
const dts = { compilerOptions: { ignoreDeprecations: '6.0', stripInternal: true } };

export default defineConfig([
  {
    // Library builds: ESM + CJS + types for every entry.
    entry: {
      index: 'src/node/index.ts',
      browser: 'src/browser/index.ts',
      server: 'src/node/server/index.ts',
      'server-browser': 'src/browser/server-stub.ts',
      // anywire/modular and anywire/transports/*: the client with only the transports passed in.
      modular: 'src/node/modular.ts',
      'browser-modular': 'src/browser/modular.ts',
      'transports/websocket': 'src/adapters/websocket.ts',
      'transports/sse': 'src/adapters/sse.ts',
      'transports/long-polling': 'src/adapters/long-polling.ts',
      'transports/polling': 'src/adapters/polling.ts',
      // anywire/react: hooks only; `react` stays the app's (optional peer dependency).
      react: 'src/react/index.ts',
    },
    format: ['esm', 'cjs'],
    dts,
    target: 'es2022',
    platform: 'neutral',
    external: ['ws', 'ioredis', 'eventemitter3', 'zod', 'react', /^node:/],
    splitting: true,
    shims: true,
    sourcemap: true,
    clean: true,
    treeshake: true,
  },
  {
    entry: { cli: 'src/node/cli.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    external: ['ws', 'ioredis', 'eventemitter3', 'zod'],
    banner: { js: '#!/usr/bin/env node' },
    sourcemap: true,
  },
  {
    // The script-tag bundle: everything inlined, minified, `window.Anywire`.
    entry: { 'anywire.global': 'src/browser/global.ts' },
    format: ['iife'],
    globalName: 'Anywire',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    noExternal: [/.*/],
    outExtension: () => ({ js: '.js' }),
  },
  {
    // shareConnection for the script tag: loaded by anywire.global.js only when a client asks
    // (served as `<path>/client.share.js`). No imports at run time: the core is passed in.
    entry: { 'anywire.global.share': 'src/browser/share/global.ts' },
    format: ['iife'],
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    noExternal: [/.*/],
    outExtension: () => ({ js: '.js' }),
  },
]);
