// The browser Origin rule for WebSocket upgrades and the HTTP endpoints (CORS). Same-origin is
// decided from scheme, host and port together, never from the Host header alone: `https://h` is
// not `http://h`, and a page on an attacker's DNS name that resolves to this server (DNS
// rebinding) is not same-origin with it.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * The contract's Origin rule: no Origin (Node clients, curl) and same-origin requests pass; a
 * cross-origin browser passes only when listed, or when the list holds '*'. `publicOrigins` (the
 * server's own origins, normalised) decides same-origin when given; see `sameOrigin` otherwise.
 */
export function originAllowed(request: IncomingMessage, allowed: readonly string[], publicOrigins: readonly string[] = []): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || origin === '') return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  return sameOrigin(request, origin, publicOrigins);
}

/**
 * With declared `publicOrigins`: the Origin is one of them. Without: the Origin's scheme matches
 * the connection (https only over TLS), its host and port match the Host header, and when the
 * request came in on a loopback address the host must be a loopback name or address, since any
 * other name reaching a loopback socket was resolved there by a rebinding DNS.
 */
function sameOrigin(request: IncomingMessage, origin: string, publicOrigins: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (publicOrigins.length > 0) return publicOrigins.includes(url.origin);
  const host = request.headers.host;
  // A bare host[:port]: no user info, path or query that URL parsing would quietly drop.
  if (!host || !/^[\w.\-[\]:]+$/.test(host)) return false;
  const scheme = (request.socket as TLSSocket).encrypted ? 'https:' : 'http:';
  let own: URL;
  try {
    own = new URL(`${scheme}//${host}`);
  } catch {
    return false;
  }
  if (url.origin !== own.origin) return false;
  return !isLoopback(request.socket.localAddress) || isLoopbackName(own.hostname);
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.');
}

function isLoopbackName(hostname: string): boolean {
  const h = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isIP(h) !== 0 && isLoopback(h);
}
