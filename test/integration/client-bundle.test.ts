// `<path>/client.js`: the script-tag bundle served by the server (found from src/ when tests run
// against the sources, after npm test's build), with its source map and caching headers.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { clientBundleVersion } from '../../src/node/server/client-bundle.js';
import { startServer } from '../helpers/server.js';

const built = readFileSync(resolve(import.meta.dirname, '../../dist/anywire.global.js'), 'utf8');

describe('<path>/client.js', () => {
  it('serves the built bundle, its source map beside it, with an ETag that revalidates', async () => {
    const { url } = await startServer();
    const res = await fetch(`${url}/client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const body = await res.text();
    // Same code as dist/, with the map pointed at the URL it is served from.
    expect(body.replace(/\/\/# sourceMappingURL=\S+\s*$/, '')).toBe(built.replace(/\/\/# sourceMappingURL=\S+\s*$/, ''));
    expect(body).toMatch(/\/\/# sourceMappingURL=client\.js\.map\s*$/);

    const again = await fetch(`${url}/client.js`, { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await fetch(`${url}/client.js`, { headers: { 'If-None-Match': `"other", W/${etag}` } })).status).toBe(304);
    expect((await fetch(`${url}/client.js`, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);

    const map = await fetch(`${url}/client.js.map`);
    expect(map.status).toBe(200);
    const parsed = (await map.json()) as { version: number; sources: string[] };
    expect(parsed.version).toBe(3);
    expect(parsed.sources.some((s) => s.includes('src/browser/global.ts'))).toBe(true);
  });

  it('a URL with the current version is cached for a year; a stale version is not', async () => {
    const { url } = await startServer();
    const version = clientBundleVersion();
    expect(version).toMatch(/^[\w-]{8,}$/);
    const current = await fetch(`${url}/client.js?v=${version}`);
    expect(current.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const stale = await fetch(`${url}/client.js?v=0.0.0-stale`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
  });

  it('gzips for clients that accept it; HEAD sends headers only', async () => {
    const { url } = await startServer();
    const u = new URL(`${url}/client.js`);
    // Node's fetch decompresses transparently; read the raw bytes with http to see the encoding.
    const { request } = await import('node:http');
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((done, fail) => {
      request(u, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ headers: res.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', fail)
        .end();
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers['vary']).toBe('Accept-Encoding');
    expect(gunzipSync(raw.body).toString()).toContain('Anywire');
    expect(raw.body.length).toBeLessThan(built.length / 2);

    const head = await fetch(`${url}/client.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await head.text()).toBe('');
  });

  it('the bundle exposes Anywire.createClient, AnywireError and codes', async () => {
    const { url } = await startServer();
    const code = await (await fetch(`${url}/client.js`)).text();
    const scope: Record<string, unknown> = {};
    new Function('self', 'window', 'globalThis', code + ';self.Anywire = Anywire;')(scope, scope, scope);
    const Anywire = scope.Anywire as { createClient: unknown; AnywireError: unknown; codes: Record<string, string> };
    expect(typeof Anywire.createClient).toBe('function');
    expect(typeof Anywire.AnywireError).toBe('function');
    expect(Anywire.codes.TRANSPORTS_EXHAUSTED).toBe('TRANSPORTS_EXHAUSTED');
  });
});
