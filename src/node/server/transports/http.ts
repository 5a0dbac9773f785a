// HTTP routing under `path`: the script-tag bundle and the HTTP transports (SSE, long polling,
// polling). Each HTTP transport feeds the same Session as the WebSocket handler does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerCore } from '../core.js';
import { serveClientBundle } from '../client-bundle.js';
import { sendJson } from '../http-util.js';

export class HttpHandler {
  constructor(private readonly core: ServerCore) {}

  /** `sub` is the request path below the server's path, e.g. '/client.js'. */
  handle(req: IncomingMessage, res: ServerResponse, sub: string): void {
    if (sub === '/client.js' && (req.method === 'GET' || req.method === 'HEAD')) return serveClientBundle(req, res);
    sendJson(res, 404, { code: 'BAD_REQUEST', message: `no such endpoint: ${sub}` });
  }

  async shutdown(_retryAfter: number): Promise<void> {}
}
