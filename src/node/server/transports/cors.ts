// CORS for the HTTP endpoints, from the same `allowedOrigins` rule as WebSocket upgrades. A listed
// origin gets its own origin back with credentials; '*' gets '*' without credentials (browsers
// refuse '*' with credentials anyway); a refused origin gets no CORS headers at all.
import type { IncomingMessage } from 'node:http';
import { originAllowed } from '../origin.js';

/** Headers a browser may send to the HTTP endpoints (a preflight asks for these). */
const allowHeaders = 'Authorization, Content-Type, Last-Event-ID';

/**
 * The CORS headers for this request: `{}` when it carries no Origin, `undefined` when its origin
 * is refused (answer 403 without CORS headers).
 */
export function corsHeaders(
  req: IncomingMessage,
  allowed: readonly string[],
  publicOrigins: readonly string[] = [],
): Record<string, string> | undefined {
  const origin = req.headers.origin;
  if (origin === undefined || origin === '') return {};
  if (!originAllowed(req, allowed, publicOrigins)) return undefined;
  // Retry-After (shutdown) is readable by the page only when exposed.
  const expose = { 'Access-Control-Expose-Headers': 'Retry-After' };
  if (allowed.includes(origin)) {
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin', ...expose };
  }
  if (allowed.includes('*')) return { 'Access-Control-Allow-Origin': '*', ...expose };
  // Same-origin: the browser does not need CORS, but an echo keeps odd setups (ports, proxies) working.
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...expose };
}

/** Extra headers of a preflight answer. */
export function preflightHeaders(): Record<string, string> {
  return {
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': allowHeaders,
    'Access-Control-Max-Age': '600',
  };
}
