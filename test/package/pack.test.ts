// The package as a user gets it: `npm pack`, install the tarball into a fresh project, then import
// and require both entry points from there, run a pub/sub through the installed code and the bin.
// Run after `npm run build` (the `test` script builds first); packing does not rebuild, so this
// test never rewrites dist/ under other suites running at the same time.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
let dir: string;
let project: string;
let installOutput = '';

/** Runs a command in the consumer project; resolves with stdout, rejects with stderr on failure. */
async function inProject(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(cmd, args, { cwd: project, env: { ...process.env, ...env }, timeout: 60_000 });
  return stdout;
}

beforeAll(async () => {
  for (const f of ['index.js', 'index.cjs', 'server.js', 'server.cjs', 'cli.js', 'anywire.global.js']) {
    if (!existsSync(join(root, 'dist', f))) throw new Error(`dist/${f} is missing: run \`npm run build\` first`);
  }
  dir = mkdtempSync(join(tmpdir(), 'anywire-pack-'));
  project = join(dir, 'consumer');
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, timeout: 120_000 });
  const tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  await run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  // At npm's default log level, as a user runs it: what it prints is checked below.
  const installed = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: project,
    timeout: 240_000,
  });
  installOutput = `${installed.stdout}\n${installed.stderr}`;
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ESM = `
import * as client from 'anywire';
import * as server from 'anywire/server';
const out = {
  client: Object.keys(client).sort(),
  server: Object.keys(server).sort(),
  codes: client.codes.FORBIDDEN,
  errorIsError: new client.AnywireError('TIMEOUT', 'x') instanceof Error,
};
console.log(JSON.stringify(out));
`;

const CJS = `
const client = require('anywire');
const server = require('anywire/server');
console.log(JSON.stringify({
  client: Object.keys(client).sort(),
  server: Object.keys(server).sort(),
  codes: client.codes.FORBIDDEN,
  errorIsError: new client.AnywireError('TIMEOUT', 'x') instanceof Error,
}));
`;

// A real round trip through the installed package: server, two clients, JSON and binary.
const PUBSUB = (importer: string) => `
${importer}
const server = createServer({ broker: memoryBroker() });
const { url } = await server.listen(0, '127.0.0.1');
const a = createClient({ url, transports: ['websocket'] });
const b = createClient({ url, transports: ['websocket'] });
const got = [];
const done = new Promise((resolve) => {
  a.subscribe('chat', (data, meta) => {
    got.push({ data: data instanceof Uint8Array ? [...data] : data, offset: meta.offset });
    if (got.length === 3) resolve();
  });
});
await a.subscribe('chat').ready;
await b.publish('chat', { text: 'hi' });
await server.publish('chat', new Uint8Array([1, 2, 3]));
const err = await b.publish('bad channel!', 1).catch((e) => e);
await b.publish('chat', 'bye');
await done;
a.close();
b.close();
await server.close();
console.log(JSON.stringify({ got, err: { name: err.name, code: err.code, isAnywireError: err instanceof AnywireError } }));
`;

const expectedRoundTrip = {
  got: [
    { data: { text: 'hi' }, offset: 1 },
    { data: [1, 2, 3], offset: 2 },
    { data: 'bye', offset: 3 },
  ],
  err: { name: 'AnywireError', code: 'BAD_REQUEST', isAnywireError: true },
};

describe('the installed package', () => {
  it('installs without a warning of its own (no install script, react an optional peer)', () => {
    const warnings = installOutput.split('\n').filter((l) => /\bwarn/i.test(l));
    expect(warnings.filter((l) => /anywire|peer|install-scripts/i.test(l))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules/anywire/package.json'), 'utf8')) as Record<
      string,
      Record<string, unknown>
    >;
    expect(Object.keys(pkg.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);
    expect(pkg.peerDependenciesMeta).toEqual({ react: { optional: true } });
    expect(existsSync(join(project, 'node_modules/react'))).toBe(false);
  });

  it('imports both entry points as ESM', async () => {
    writeFileSync(join(project, 'esm.mjs'), ESM);
    const out = JSON.parse(await inProject('node', ['esm.mjs']));
    expect(out.client).toEqual(expect.arrayContaining(['createClient', 'AnywireError', 'codes']));
    expect(out.server).toEqual(expect.arrayContaining(['createServer', 'memoryBroker', 'redisBroker', 'AnywireError', 'codes']));
    expect(out.codes).toBe('FORBIDDEN');
    expect(out.errorIsError).toBe(true);
  });

  it('requires both entry points as CommonJS', async () => {
    writeFileSync(join(project, 'cjs.cjs'), CJS);
    const out = JSON.parse(await inProject('node', ['cjs.cjs']));
    expect(out.client).toEqual(expect.arrayContaining(['createClient', 'AnywireError', 'codes']));
    expect(out.server).toEqual(expect.arrayContaining(['createServer', 'memoryBroker', 'redisBroker', 'AnywireError', 'codes']));
    expect(out.codes).toBe('FORBIDDEN');
    expect(out.errorIsError).toBe(true);
  });

  it('runs a pub/sub round trip from ESM', async () => {
    writeFileSync(
      join(project, 'pubsub.mjs'),
      PUBSUB("import { createClient, AnywireError } from 'anywire';\nimport { createServer, memoryBroker } from 'anywire/server';"),
    );
    expect(JSON.parse(await inProject('node', ['pubsub.mjs']))).toEqual(expectedRoundTrip);
  });

  it('runs a pub/sub round trip from CommonJS', async () => {
    const body = PUBSUB(
      "const { createClient, AnywireError } = require('anywire');\nconst { createServer, memoryBroker } = require('anywire/server');",
    );
    writeFileSync(join(project, 'pubsub.cjs'), `(async () => {\n${body}\n})().catch((e) => { console.error(e); process.exit(1); });`);
    expect(JSON.parse(await inProject('node', ['pubsub.cjs']))).toEqual(expectedRoundTrip);
  });

  it('gives a browser bundler the browser client, and a clear error for anywire/server', async () => {
    writeFileSync(
      join(project, 'browser.mjs'),
      `const url = import.meta.resolve('anywire');\nconsole.log(url.slice(url.lastIndexOf('/') + 1));`,
    );
    expect((await inProject('node', ['--conditions=browser', 'browser.mjs'])).trim()).toBe('browser.js');
    writeFileSync(join(project, 'server-in-browser.mjs'), `import 'anywire/server';`);
    const failure = await inProject('node', ['--conditions=browser', 'server-in-browser.mjs']).catch((e: { stderr: string }) => e);
    expect((failure as { stderr: string }).stderr).toMatch(/anywire\/server is the Node\.js server and cannot run in a browser/);
  });

  it('ships the minified script-tag bundle exposing window.Anywire', async () => {
    const resolved = (await inProject('node', ['-p', "require.resolve('anywire/client.js')"])).trim();
    expect(resolved.endsWith(join('dist', 'anywire.global.js'))).toBe(true);
    const code = readFileSync(resolved, 'utf8');
    // Minified: a handful of very long lines (template literals keep their own newlines).
    expect(code.length / code.split('\n').length).toBeGreaterThan(500);
    const { runInNewContext } = await import('node:vm');
    const window: Record<string, unknown> = {};
    runInNewContext(code, Object.assign(window, { window, globalThis: window }));
    const Anywire = window.Anywire as Record<string, unknown>;
    expect(typeof Anywire.createClient).toBe('function');
    expect(typeof Anywire.AnywireError).toBe('function');
    expect((Anywire.codes as Record<string, string>).CLOSED).toBe('CLOSED');
  });

  it('has a working bin: --help, a bad flag, and serve --port 0 with the demo', async () => {
    const help = await inProject('npx', ['--no-install', 'anywire', '--help']);
    expect(help).toMatch(/anywire serve \[options\]/);

    const bad = (await inProject('npx', ['--no-install', 'anywire', 'serve', '--port', 'nope']).catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')[0]).toMatch(/^anywire: --port/);

    const bin = join(project, 'node_modules', '.bin', 'anywire');
    const child = spawn(bin, ['serve', '--port', '0'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const origin = await new Promise<string>((resolvePromise, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          const m = /anywire listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolvePromise(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`anywire serve exited early (${code})`)));
      });
      const page = await getText(`${origin}/`);
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/anywire\/client\.js/);
      const bundle = await getText(`${origin}/anywire/client.js`);
      expect(bundle.status).toBe(200);
      expect(bundle.body.length).toBeGreaterThan(1000);
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});

function getText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    httpGet(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}
