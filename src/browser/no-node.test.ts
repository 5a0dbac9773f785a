// The browser entries use nothing from Node: bundled for the browser, their inputs hold no Node
// built-in and no `ws`, and the code names no Node global (process, Buffer, require, __dirname).
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const nodeGlobals = /\b(process|Buffer|require|__dirname|__filename|setImmediate|global)\b/;

describe.each(['index.ts', 'modular.ts', 'global.ts'])('src/browser/%s bundled for the browser', (entry) => {
  it('pulls in no Node built-in, no ws, and names no Node global', async () => {
    const result = await build({
      // Under happy-dom, import.meta.url is not a file URL; vitest runs from the repository root.
      entryPoints: [join(process.cwd(), 'src/browser', entry)],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => builtins.has(i) || i.startsWith('node:'))).toEqual([]);
    expect(inputs.filter((i) => /node_modules\/(ws|zod|ioredis)\//.test(i))).toEqual([]);
    // Code only: esbuild's `// src/browser/global.ts` path comments name no global.
    const code = result.outputFiles[0]!.text.replace(/^\s*\/\/.*$/gm, '');
    expect(code.match(nodeGlobals)?.[0]).toBeUndefined();
  });
});
