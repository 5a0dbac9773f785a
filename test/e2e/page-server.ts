// An http server with an anywire server attached and a blank page at `/page.html` that loads the
// script-tag bundle from `<path>/client.js`, as a plain site would.
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type AnywireServer, type ServerOptions } from '../../src/node/server/index.js';
import { onCleanup } from '../helpers/server.js';

export const page = (path: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>anywire e2e</title>
<script src="${path}/client.js"></script></head>
<body><p>anywire e2e page</p></body></html>`;

export async function startPageServer(options: ServerOptions = {}): Promise<{ server: AnywireServer; origin: string; url: string }> {
  const server = createServer(options);
  const http = createHttpServer((req, res) => {
    if (req.url === '/page.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page(server.path));
      return;
    }
    res.writeHead(404).end();
  });
  server.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    await server.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  });
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { server, origin, url: origin + server.path };
}
