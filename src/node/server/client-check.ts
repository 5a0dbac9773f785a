// The server's inbound frame check: a hand-written equivalent of `clientFrame` in
// src/core/schemas.ts (same accept/reject decisions, kept so by client-check.test.ts against the zod
// schema), run before zod on every client frame. zod's generic object parse was the costliest step
// between a `pub` arriving and its `msg` leaving; a frame the check refuses still goes through zod,
// so every malformed frame gets zod's own issue in its error, exactly as before.
import { CHANNEL_PATTERN, PROTOCOL_VERSION, type ClientFrame } from '../../core/frames.js';
import { clientFrame as schema } from '../../core/schemas.js';

const isInt = (v: unknown, min: number): boolean => Number.isSafeInteger(v) && (v as number) >= min;
/** zod measures strings in code points (a surrogate pair is one); only a length in doubt is counted. */
function isString(v: unknown, min: number, max: number): boolean {
  if (typeof v !== 'string') return false;
  const units = v.length;
  if (units >= min && units <= max && (min <= 1 || units >= 2 * min)) return true;
  const length = units > max || units >= min ? codePoints(v) : units;
  return length >= min && length <= max;
}

function codePoints(s: string): number {
  let count = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}
const isChannel = (v: unknown): boolean => typeof v === 'string' && CHANNEL_PATTERN.test(v);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** True when zod's `clientFrame` would accept `v`. */
export function isClientFrame(v: unknown): boolean {
  if (!isRecord(v)) return false;
  switch (v.t) {
    case 'pub':
      return (
        isString(v.id, 1, 64) &&
        isChannel(v.ch) &&
        // `d` is any JSON value; `b` bytes (frames.ts decodes base64 before the check).
        (v.b === undefined || v.b instanceof Uint8Array)
      );
    case 'sub': {
      if (!isInt(v.id, 0) || !isChannel(v.ch)) return false;
      const since = v.since;
      return since === undefined || (isRecord(since) && isString(since.e, 1, 64) && isInt(since.o, 0));
    }
    case 'unsub':
      return isChannel(v.ch);
    case 'ping':
    case 'pong':
      return true;
    case 'connect':
      return v.v === PROTOCOL_VERSION && (v.token === undefined || isString(v.token, 0, 8192));
    default:
      return false;
  }
}

/**
 * `clientFrame` with the same `safeParse` shape as the zod schema: a frame the check accepts is
 * returned as is (unknown fields kept, and ignored by the server; zod would strip them); anything
 * else is zod's answer, with its issues.
 */
export const clientFrame = {
  safeParse(v: unknown): { success: true; data: ClientFrame } | { success: false; error: unknown } {
    if (isClientFrame(v)) return { success: true, data: v as ClientFrame };
    return schema.safeParse(v);
  },
};
