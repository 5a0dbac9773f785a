// Bundling the published package for the browser (esbuild, platform browser, so the `browser`
// export condition) pulls in no Node built-in and no `ws`. Resolves `anywire` through a symlinked
// node_modules as an app would, so it checks package.json `exports` and the built dist/ (npm test
// builds first).
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
let app: string;

beforeAll(async () => {
  if (!existsSync(join(root, 'dist/browser.js'))) throw new Error('dist/ is not built: run `npm run build` first');
  app = await mkdtemp(join(tmpdir(), 'anywire-bundle-'));
  await mkdir(join(app, 'node_modules'));
  await symlink(root, join(app, 'node_modules/anywire'), 'dir');
});
afterAll(async () => {
  if (app) await rm(app, { recursive: true, force: true });
});

async function bundle(source: string) {
  const entry = join(app, `entry-${Math.random().toString(36).slice(2)}.js`);
  await writeFile(entry, source);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    minify: true,
    metafile: true,
    preserveSymlinks: false,
    absWorkingDir: app,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  return { inputs, code: result.outputFiles[0]!.text };
}

describe('anywire bundled for the browser through package.json exports', () => {
  it.each([
    ['anywire', `import { createClient, AnywireError, codes } from 'anywire'; console.log(createClient, AnywireError, codes);`],
    [
      'anywire/modular + anywire/transports/websocket',
      `import { createClient } from 'anywire/modular'; import { websocket } from 'anywire/transports/websocket';
       console.log(createClient({ url: 'http://x' }, { transports: [websocket] }));`,
    ],
  ])('%s: no Node built-ins, no ws, no zod, resolved to the browser build', async (_name, source) => {
    const { inputs, code } = await bundle(source);
    expect(inputs.filter((i) => builtins.has(i) || i.startsWith('node:'))).toEqual([]);
    expect(inputs.filter((i) => /node_modules\/(ws|zod|ioredis)\//.test(i))).toEqual([]);
    expect(inputs.some((i) => /dist\/browser(-modular)?\.js$/.test(i))).toBe(true);
    expect(code).not.toMatch(/\brequire\(|\bprocess\.|\bBuffer\b/);
  });

  it('anywire/server in a browser bundle is a stub that fails with a clear message', async () => {
    const { inputs, code } = await bundle(`import * as s from 'anywire/server'; console.log(s);`);
    expect(inputs.filter((i) => builtins.has(i) || i.startsWith('node:'))).toEqual([]);
    expect(code).toContain('cannot run in a browser');
  });
});
