// The operator endpoints under `path`: `GET <path>/health` for load-balancer checks, and
// `GET <path>/metrics` (Prometheus text exposition) when the `metrics` option is on. Neither needs
// CORS or a session: they are for infrastructure, not browsers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerCore } from './core.js';
import { sendJson } from './http-util.js';
import type { ServerStats } from './metrics.js';

/** Why the server should take no traffic now, or undefined when it can. */
export function unavailable(core: ServerCore): string | undefined {
  if (core.closing) return 'server is shutting down';
  if (!core.broker.healthy) return 'broker is unreachable';
  return undefined;
}

export function stats(core: ServerCore): ServerStats {
  return core.metrics.snapshot(core.live, {
    channels: core.hub.channelCount,
    subscriptions: core.hub.subscriptionCount,
    brokerUp: core.broker.healthy,
  });
}

/** Answers `/health` and `/metrics`; false for any other path (the transports' routes). */
export function serveOps(core: ServerCore, req: IncomingMessage, res: ServerResponse, sub: string): boolean {
  const metrics = sub === '/metrics' && core.options.metrics;
  if (sub !== '/health' && !metrics) return false;
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { code: 'BAD_REQUEST', message: `${sub} takes GET` }, { Allow: 'GET, HEAD' });
    return true;
  }
  if (metrics) {
    const text = core.metrics.exposition(stats(core));
    res.writeHead(200, {
      'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  }
  const reason = unavailable(core);
  sendJson(res, reason ? 503 : 200, reason ? { status: 'unavailable', reason } : { status: 'ok' });
  return true;
}
