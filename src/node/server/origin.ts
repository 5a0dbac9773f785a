import type { IncomingMessage } from 'node:http';

/**
 * The contract's Origin rule: no Origin (Node clients, curl) and same-origin requests pass; a
 * cross-origin browser passes only when listed, or when the list holds '*'.
 */
export function originAllowed(request: IncomingMessage, allowed: readonly string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || origin === '') return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  const host = request.headers.host;
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
