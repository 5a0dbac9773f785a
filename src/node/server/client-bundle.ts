// Serves the script-tag bundle (dist/anywire.global.js) at `<path>/client.js` and its source map
// at `<path>/client.js.map`; and beside it, as `<path>/client.share.js` (+ `.map`), the module the
// bundle loads only when a client sets `shareConnection` (dist/anywire.global.share.js).
//
// Caching: the ETag is a hash of the bundle. `<path>/client.js` revalidates on every load (a cheap
// 304 while unchanged), so a page that uses the bare URL picks up a new build at once.
// `<path>/client.js?v=<version>` with the current version (see `clientBundleVersion`) may be cached
// for a year: a new build has a new version, hence a new URL. A stale or made-up `v` is served
// like the bare URL, never cached as immutable under a URL it does not belong to.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { sendJson } from './http-util.js';

interface Asset {
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

interface Bundle {
  /** Short content hash: the `v` of the versioned URL. */
  version: string;
  js: Asset;
  map: Asset | undefined;
}

const cached = new Map<string, Bundle>();

function moduleDir(): string {
  // dist/ (ESM and CJS builds, flat in dist/), and src/node/server/ under a TS runner (tests).
  if (typeof __dirname === 'string') return __dirname;
  return dirname(fileURLToPath(import.meta.url));
}

/** Finds dist/`name`: beside this module (dist/), or in `dist/` of an ancestor (src/). */
function findBundle(name: string): string | undefined {
  let dir = moduleDir();
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, name), join(dir, 'dist', name)]) {
      if (existsSync(candidate)) return candidate;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

function asset(body: Buffer): Asset {
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** `served` is the name under the server's path: client.js or client.share.js. */
function load(served = 'client.js'): Bundle | undefined {
  const hit = cached.get(served);
  if (hit) return hit;
  const file = findBundle(served === 'client.js' ? 'anywire.global.js' : 'anywire.global.share.js');
  if (!file) return undefined; // not built yet: look again on the next request
  const source = readFileSync(file, 'utf8');
  // The build points the map at its file name; served here, the map lives beside client.js.
  const js = asset(Buffer.from(source.replace(/\/\/# sourceMappingURL=\S+\s*$/, `//# sourceMappingURL=${served}.map\n`)));
  const mapFile = file + '.map';
  const map = existsSync(mapFile) ? asset(readFileSync(mapFile)) : undefined;
  const bundle = { version: js.etag.slice(1, 13), js, map };
  cached.set(served, bundle);
  return bundle;
}

/** The current bundle's version, for a long-cached `<path>/client.js?v=<version>` URL; undefined if not built. */
export function clientBundleVersion(): string | undefined {
  return load()?.version;
}

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** Answers GET/HEAD of `/client.js`, `/client.share.js` and their `.map` (`sub`, the path below the server's path). */
export function serveClientBundle(req: IncomingMessage, res: ServerResponse, sub = '/client.js'): void {
  const bundle = load(sub.startsWith('/client.share.js') ? 'client.share.js' : 'client.js');
  if (!bundle) return sendJson(res, 404, { code: 'BAD_REQUEST', message: 'client bundle not built (run npm run build)' });
  const isMap = sub.endsWith('.map');
  const file = isMap ? bundle.map : bundle.js;
  if (!file) return sendJson(res, 404, { code: 'BAD_REQUEST', message: 'no source map for the client bundle' });
  const v = new URL(req.url ?? '/', 'http://x').searchParams.get('v');
  const headers: Record<string, string | number> = {
    'Content-Type': isMap ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8',
    ETag: file.etag,
    'Cache-Control': v === bundle.version ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate',
    'Access-Control-Allow-Origin': '*',
    'X-Content-Type-Options': 'nosniff',
    Vary: 'Accept-Encoding',
  };
  if (matches(req.headers['if-none-match'], file.etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? file.gzip : file.body;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}
