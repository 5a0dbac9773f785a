// Optional weight stays unloaded: a server on the memory broker never loads ioredis (redisBroker
// imports it on first use), and the Node client loads `ws` only when it opens a WebSocket. Checked
// on the built package (npm test builds first) in child processes: ESM through a module-resolve
// hook that logs every resolved module, CJS through require.cache.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { redisUrl, stopSpawnedRedis } from '../helpers/redis.js';
import { startServer } from '../helpers/server.js';

const run = promisify(execFile);
const dist = resolve(import.meta.dirname, '../../dist');
const dir = mkdtempSync(join(tmpdir(), 'anywire-lazy-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  return stopSpawnedRedis();
});

function built(): void {
  for (const f of ['server.js', 'server.cjs', 'index.js', 'index.cjs']) {
    if (!existsSync(join(dist, f))) throw new Error(`dist/${f} is missing: run \`npm run build\` first`);
  }
}

/** Runs an ESM script with a resolve hook; returns the specifiers resolved to node_modules packages. */
async function esm(name: string, body: string): Promise<string[]> {
  const log = join(dir, `${name}.log`);
  const hooks = join(dir, `${name}-hooks.mjs`);
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes('/node_modules/')) appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`,
  );
  const register = join(dir, `${name}-register.mjs`);
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const script = join(dir, `${name}.mjs`);
  writeFileSync(script, body);
  writeFileSync(log, '');
  await run(process.execPath, ['--import', pathToFileURL(register).href, script], { timeout: 30_000 });
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

/** Runs a CJS script that prints the node_modules packages in require.cache. */
async function cjs(name: string, body: string): Promise<string[]> {
  const script = join(dir, `${name}.cjs`);
  writeFileSync(
    script,
    `${body}\nprocess.on('exit', () => console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('/node_modules/')))));\n`,
  );
  const { stdout } = await run(process.execPath, [script], { timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
}

const has = (mods: string[], pkg: string) => mods.some((m) => m.includes(`/node_modules/${pkg}/`));

describe('optional dependencies load only when used', () => {
  it('a server on the memory broker never loads ioredis; redisBroker() does (ESM)', async () => {
    built();
    const server = pathToFileURL(join(dist, 'server.js')).href;
    const memory = await esm(
      'memory',
      `const { createServer, memoryBroker } = await import(${JSON.stringify(server)});
const s = createServer({ broker: memoryBroker() });
await s.listen(0, '127.0.0.1');
await s.publish('c', 1);
await s.close();`,
    );
    expect(has(memory, 'zod')).toBe(true); // the hook sees packages at all
    expect(has(memory, 'ioredis')).toBe(false);
    const url = await redisUrl();
    const redis = await esm(
      'redis',
      `const { redisBroker } = await import(${JSON.stringify(server)});
const b = redisBroker({ url: ${JSON.stringify(url)} });
await b.connected();
await b.close();`,
    );
    expect(has(redis, 'ioredis')).toBe(true);
  });

  it('the Node client loads ws only once it opens a WebSocket (CJS)', async () => {
    built();
    const { url } = await startServer();
    const index = JSON.stringify(join(dist, 'index.cjs'));
    const http = await cjs(
      'http-client',
      `const { createClient } = require(${index});
(async () => {
  const c = createClient({ url: ${JSON.stringify(url)}, transports: ['long-polling'] });
  await c.connect();
  await c.publish('c', 1);
  c.close();
})();`,
    );
    expect(has(http, 'ws')).toBe(false);
    const ws = await cjs(
      'ws-client',
      `const { createClient } = require(${index});
(async () => {
  const c = createClient({ url: ${JSON.stringify(url)}, transports: ['websocket'] });
  await c.connect();
  await c.publish('c', 1);
  c.close();
})();`,
    );
    expect(has(ws, 'ws')).toBe(true);
  });
});
