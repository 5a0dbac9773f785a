// The README's Express, Fastify and Hono snippets, run as they are written there: each code block
// is cut out of README.md, its port 3000 made an ephemeral loopback one, and a few lines appended
// that print the port; then a Node client does pub/sub through it (WebSocket and polling) and the
// app still answers its own routes (404 for an unknown one).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examplesDir, linkAnywire, repoRoot, startScript, type RunningExample } from '../helpers/examples.js';
import { client } from '../helpers/server.js';

const readme = readFileSync(resolve(repoRoot, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n(\/\/ (Express|Fastify|Hono)[^\n]*\n[\s\S]*?)```/g)].map((m) => ({ name: m[2]!, code: m[1]! }));

/** Port 3000 on every interface → port 0 on loopback, per framework's way of saying it. */
const loopback: Record<string, [RegExp, string]> = {
  Express: [/app\.listen\(3000\)/, "app.listen(0, '127.0.0.1')"],
  Fastify: [/app\.listen\(\{ port: 3000 \}\)/, "app.listen({ port: 0, host: '127.0.0.1' })"],
  Hono: [/port: 3000 \}\)/, "port: 0, hostname: '127.0.0.1' })"],
};

const epilogue = `
const __http = typeof server !== 'undefined' ? server : app.server;
if (!__http.listening) await new Promise((r) => __http.once('listening', r));
console.log('listening on http://127.0.0.1:' + __http.address().port);
process.once('SIGTERM', () => process.exit(0));
`;

it('the README has the three snippets', () => {
  expect(blocks.map((b) => b.name)).toEqual(['Express', 'Fastify', 'Hono']);
});

describe.each(blocks)('README: $name', ({ name, code }) => {
  let app: RunningExample;
  beforeAll(async () => {
    linkAnywire();
    const [pattern, replacement] = loopback[name]!;
    expect(code).toMatch(pattern);
    // Under examples/node_modules, so `anywire` and the frameworks resolve as in an installed app.
    const dir = resolve(examplesDir, 'node_modules/.readme-recipes');
    mkdirSync(dir, { recursive: true });
    const file = resolve(dir, `${name.toLowerCase()}.mjs`);
    writeFileSync(file, code.replace(pattern, replacement) + epilogue);
    app = await startScript(file, `README ${name} snippet`);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it.each(['websocket', 'polling'] as const)('pub/sub over %s on the app’s port', async (transport) => {
    const url = `${app.origin}/anywire`;
    const a = client(url, { transports: [transport], reconnect: false, pollInterval: 50 });
    const b = client(url, { transports: [transport], reconnect: false, pollInterval: 50 });
    const got = new Promise((r) => a.subscribe('readme', r));
    await a.subscribe('readme').ready;
    await b.publish('readme', { from: name });
    expect(await got).toEqual({ from: name });
  });

  it('the app still answers everything else', async () => {
    expect((await fetch(`${app.origin}/not-anywire`)).status).toBe(404);
    expect((await fetch(`${app.origin}/anywire/client.js`)).status).toBe(200);
  });
});
