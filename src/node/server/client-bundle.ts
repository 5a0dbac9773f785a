// Serves the script-tag bundle (dist/anywire.global.js) at `<path>/client.js`.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './http-util.js';

interface Bundle {
  body: Buffer;
  etag: string;
}

let cached: Bundle | null | undefined;

function moduleDir(): string {
  // Works from dist/ (ESM and CJS builds, both flat in dist/) and from src/ under a TS runner.
  if (typeof __dirname === 'string') return __dirname;
  return dirname(new URL(import.meta.url).pathname);
}

function load(): Bundle | null {
  if (cached !== undefined) return cached;
  let dir = moduleDir();
  for (let i = 0; i < 5; i++) {
    for (const candidate of [join(dir, 'anywire.global.js'), join(dir, 'dist', 'anywire.global.js')]) {
      if (existsSync(candidate)) {
        const body = readFileSync(candidate);
        cached = { body, etag: '"' + createHash('sha1').update(body).digest('base64url') + '"' };
        return cached;
      }
    }
    dir = dirname(dir);
  }
  cached = null;
  return cached;
}

export function serveClientBundle(req: IncomingMessage, res: ServerResponse): void {
  const bundle = load();
  if (!bundle) return sendJson(res, 404, { code: 'BAD_REQUEST', message: 'client bundle not built (run npm run build)' });
  if (req.headers['if-none-match'] === bundle.etag) {
    res.writeHead(304, { ETag: bundle.etag });
    res.end();
    return;
  }
  // A versioned URL (?v=<etag or version>) may be cached for a year; the bare URL revalidates.
  const versioned = (req.url ?? '').includes('?v=');
  res.writeHead(200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Content-Length': bundle.body.length,
    ETag: bundle.etag,
    'Cache-Control': versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate',
    'Access-Control-Allow-Origin': '*',
  });
  res.end(req.method === 'HEAD' ? undefined : bundle.body);
}
