// The server's inbound frame check: a hand-written equivalent of `clientFrame` in
// src/core/schemas.ts (same accept/reject decisions, kept so by client-check.test.ts against the zod
// schema), run before zod on every client frame. zod's generic object parse was the costliest step
// between a `pub` arriving and its `msg` leaving; a frame the check refuses still goes through zod,
// so every malformed frame gets zod's own issue in its error, exactly as before.
import { MAX_HISTORY_LIMIT, PROTOCOL_VERSION, isChannel, isInt, isText, type ClientFrame } from '../../core/frames.js';
import { clientFrame as schema } from '../../core/schemas.js';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** True when zod's `clientFrame` would accept `v`. */
export function isClientFrame(v: unknown): boolean {
  if (!isRecord(v)) return false;
  switch (v.t) {
    case 'pub':
      return (
        isText(v.id, 1, 64) &&
        isChannel(v.ch) &&
        // `d` is any JSON value; `b` bytes (frames.ts decodes base64 before the check).
        (v.b === undefined || v.b instanceof Uint8Array)
      );
    case 'sub': {
      if (!isInt(v.id, 0) || !isChannel(v.ch)) return false;
      const since = v.since;
      if (v.rw !== undefined && !(isInt(v.rw, 1) && (v.rw as number) <= MAX_HISTORY_LIMIT)) return false;
      if (v.pc !== undefined && !isText(v.pc, 1, 64)) return false;
      return since === undefined || (isRecord(since) && isText(since.e, 1, 64) && isInt(since.o, 0));
    }
    case 'unsub':
      return isChannel(v.ch);
    case 'hist':
      return isText(v.id, 1, 64) && isChannel(v.ch) && (v.n === undefined || (isInt(v.n, 1) && (v.n as number) <= MAX_HISTORY_LIMIT)) && (v.b === undefined || isInt(v.b, 1));
    case 'pres':
      return isText(v.id, 1, 64) && isChannel(v.ch);
    case 'ping':
    case 'pong':
      return true;
    case 'connect':
      return v.v === PROTOCOL_VERSION && (v.token === undefined || isText(v.token, 0, 8192));
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
