// anywire as a browser app's bundler sees it, with the two bundlers most apps use: Vite 8
// (production builds on Rolldown, Rollup's API) and webpack 5. (esbuild is covered by
// browser-bundle.test.ts, size-limit's figures by size.test.ts.) Resolves `anywire` through a
// symlinked node_modules as an installed package, so package.json `exports` and the built dist/
// are what is checked (npm test builds first). For each: the size the page loads up front after
// minification and gzip, within the budgets of .size-limit.json plus the bundler's own overhead
// (see `overhead`); no Node built-in, no server code, no `ws` (lazy chunks included), and nothing
// of anywire/react unless the app imports it.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build as viteBuild, type Rollup } from 'vite';
import webpack from 'webpack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const budgets = new Map(
  (JSON.parse(readFileSync(join(root, '.size-limit.json'), 'utf8')) as { path: string | string[]; limit: string }[]).map((c) => [
    [c.path].flat()[0],
    parseFloat(c.limit) * 1000, // size-limit's "10 KB" is 10,000 bytes
  ]),
);
let app: string;

beforeAll(async () => {
  for (const f of ['browser.js', 'browser-modular.js', 'react.js']) {
    if (!existsSync(join(root, 'dist', f))) throw new Error(`dist/${f} is missing: run \`npm run build\` first`);
  }
  app = await mkdtemp(join(tmpdir(), 'anywire-bundlers-'));
  await mkdir(join(app, 'node_modules'));
  await symlink(root, join(app, 'node_modules/anywire'), 'dir');
}, 60_000);
afterAll(async () => {
  if (app) await rm(app, { recursive: true, force: true });
});

interface Bundle {
  /** Every module of the code loaded up front, as absolute paths or bare ids. */
  modules: string[];
  /** The code loaded up front (entry and its static imports), minified. */
  code: string;
  gzip: number;
  /** Chunks loaded only by a dynamic import (e.g. the shareConnection module). */
  lazy: string[];
}

const entries = {
  full: `import { createClient, AnywireError, codes } from 'anywire';
const c = createClient({ url: 'http://127.0.0.1:1/anywire', autoConnect: false });
console.log(c, AnywireError, codes);`,
  websocketOnly: `import { createClient } from 'anywire/modular';
import { websocket } from 'anywire/transports/websocket';
console.log(createClient({ url: 'http://127.0.0.1:1/anywire', autoConnect: false }, { transports: [websocket] }));`,
  // The hooks on top of the full client; react itself is the app's (external here).
  react: `import { createClient, AnywireError, codes } from 'anywire';
import { AnywireProvider, useChannel, usePresence, useConnectionState } from 'anywire/react';
const c = createClient({ url: 'http://127.0.0.1:1/anywire', autoConnect: false });
console.log(c, AnywireError, codes, AnywireProvider, useChannel, usePresence, useConnectionState);`,
};
type Entry = keyof typeof entries;

async function writeEntry(name: Entry): Promise<string> {
  const file = join(app, `${name}.js`);
  await writeFile(file, entries[name]);
  return file;
}

async function withVite(name: Entry): Promise<Bundle> {
  const input = await writeEntry(name);
  const out = (await viteBuild({
    root: app,
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      modulePreload: false,
      rolldownOptions: { input, external: ['react'] },
    },
  })) as Rollup.RollupOutput | Rollup.RollupOutput[];
  const chunks = [out]
    .flat()
    .flatMap((o) => o.output)
    .filter((c): c is Rollup.OutputChunk => c.type === 'chunk');
  // What the page loads up front: the entry chunk and its static imports. A dynamic import (the
  // shareConnection module) is a chunk of its own, fetched only when used.
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const initial = new Set<Rollup.OutputChunk>();
  const visit = (c: Rollup.OutputChunk | undefined) => {
    if (!c || initial.has(c)) return;
    initial.add(c);
    for (const i of c.imports) visit(byName.get(i));
  };
  for (const c of chunks) if (c.isEntry) visit(c);
  const code = [...initial].map((c) => c.code).join('\n');
  const lazy = chunks.filter((c) => !initial.has(c));
  return {
    modules: [...initial].flatMap((c) => c.moduleIds),
    code,
    gzip: gzipSync(code, { level: 9 }).length,
    lazy: lazy.map((c) => c.code),
  };
}

async function withWebpack(name: Entry): Promise<Bundle> {
  const entry = await writeEntry(name);
  const outDir = join(app, `webpack-${name}`);
  const stats = await new Promise<webpack.Stats>((done, reject) => {
    webpack(
      {
        mode: 'production',
        target: 'web',
        context: app,
        entry,
        devtool: false,
        output: { path: outDir, filename: 'bundle.js' },
        externals: { react: 'React' },
        performance: { hints: false },
      },
      (err, s) => (err || !s ? reject(err ?? new Error('no stats')) : done(s)),
    );
  });
  if (stats.hasErrors()) throw new Error(stats.toString({ all: false, errors: true }));
  const json = stats.toJson({ all: false, modules: true, nestedModules: true, assets: true });
  const names = (json.modules ?? []).flatMap((m) => [
    m.nameForCondition ?? m.name ?? '',
    ...(m.modules ?? []).map((n) => n.nameForCondition ?? n.name ?? ''),
  ]);
  const code = await readFile(join(outDir, 'bundle.js'), 'utf8');
  // bundle.js is what the page loads up front; other files are chunks of dynamic imports.
  const lazyFiles = (json.assets ?? []).map((a) => a.name).filter((n) => n !== 'bundle.js' && n.endsWith('.js'));
  const lazy = await Promise.all(lazyFiles.map((f) => readFile(join(outDir, f), 'utf8')));
  return { modules: names.filter(Boolean), code, gzip: gzipSync(code, { level: 9 }).length, lazy };
}

const bundlers = { vite: withVite, webpack: withWebpack };
/**
 * Bytes (min+gzip) each bundler may add to .size-limit.json's budgets, which size-limit measures
 * with esbuild. Rolldown's oxc minifier gzips a few hundred bytes larger than esbuild on the full
 * client; webpack adds its module and chunk-loading runtime, ~0.7 KB on the full client and ~1 KB
 * on the WebSocket-only one. (At 20:10: Vite 11,147 B and 7,168 B, webpack 11,582 B and 8,305 B,
 * against budgets of 10.8 KB and 7.3 KB.) The allowance is the bundler's, not the client's.
 */
const overhead = { vite: 500, webpack: 1200 };
const figures: string[] = [];
afterAll(() => {
  // The measured sizes, for docs/benchmarks.md and the commit message.
  if (figures.length) console.log(`browser bundles (min+gzip -9):\n${figures.join('\n')}`);
});

function assertBrowserOnly(b: Bundle): void {
  const nodeish = b.modules.filter(
    (m) => builtins.has(m) || m.startsWith('node:') || /(^|\/)node_modules\/(ws|ioredis|eventemitter3)\//.test(m),
  );
  expect(nodeish).toEqual([]);
  // No server module of anywire (the server stub is not imported either), no Node-only entry.
  expect(b.modules.filter((m) => /\/dist\/(server|index|modular|cli)[^/]*\.js$/.test(m))).toEqual([]);
  for (const code of [b.code, ...b.lazy]) {
    expect(code).not.toMatch(/\brequire\(["']|from ?["']node:|\bBuffer\.|process\.versions|cannot run in a browser/);
  }
  // What only the server says.
  expect(b.code).not.toMatch(/shutdownRetryAfter|BROKER_UNAVAILABLE"?:\s*"broker|redisBroker/);
}

describe.each(Object.keys(bundlers) as (keyof typeof bundlers)[])('%s', (bundler) => {
  // Each entry is bundled once per bundler; several tests compare against the full client.
  const made = new Map<Entry, Promise<Bundle>>();
  const bundle = (name: Entry): Promise<Bundle> => {
    if (!made.has(name)) made.set(name, bundlers[bundler](name));
    return made.get(name)!;
  };

  it('anywire (all four transports): within the budget, browser code only, no React', async () => {
    const b = await bundle('full');
    figures.push(
      `${bundler} anywire: ${b.gzip} B up front${b.lazy.length ? `, lazy chunks ${b.lazy.map((c) => gzipSync(c, { level: 9 }).length).join(' + ')} B` : ''}`,
    );
    assertBrowserOnly(b);
    expect(b.modules.some((m) => /\/dist\/browser\.js$/.test(m))).toBe(true);
    expect(b.modules.filter((m) => /\/dist\/react\.js$|(^|\/)react(\/|$)/.test(m))).toEqual([]);
    expect(b.code).not.toMatch(/useSyncExternalStore|AnywireProvider/);
    expect(b.gzip).toBeLessThanOrEqual(budgets.get('dist/browser.js')! + overhead[bundler]);
  });

  it('anywire/modular with WebSocket only: within its budget, smaller than the full client', async () => {
    const [ws, full] = await Promise.all([bundle('websocketOnly'), bundle('full')]);
    figures.push(`${bundler} anywire/modular + websocket: ${ws.gzip} B`);
    assertBrowserOnly(ws);
    expect(ws.code).not.toMatch(/EventSource|text\/event-stream/);
    expect(ws.gzip).toBeLessThanOrEqual(budgets.get('dist/browser-modular.js')! + overhead[bundler]);
    expect(ws.gzip).toBeLessThan(full.gzip);
  });

  it('anywire/react adds only the hooks (react is the app’s)', async () => {
    const [withHooks, full] = await Promise.all([bundle('react'), bundle('full')]);
    figures.push(`${bundler} anywire + anywire/react: ${withHooks.gzip} B (+${withHooks.gzip - full.gzip} B)`);
    assertBrowserOnly(withHooks);
    expect(withHooks.code).toMatch(/useSyncExternalStore/);
    expect(withHooks.gzip - full.gzip).toBeLessThanOrEqual(2000);
  });
});
