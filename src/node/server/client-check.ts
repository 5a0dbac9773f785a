// The server's inbound frame check: the grammar's own check of client frames (grammar.ts), run
// before zod on every client frame. zod's generic object parse was the costliest step between a
// `pub` arriving and its `msg` leaving; a frame the check refuses still goes through zod, so every
// malformed frame gets zod's own issue in its error. client-check.test.ts holds the two equal.
import { clientFrames, frameCheck, type ClientFrame } from '../../core/grammar.js';
import { clientFrame as schema } from '../../core/schemas.js';

const check = frameCheck(clientFrames);

/** True when zod's `clientFrame` would accept `v`. */
export const isClientFrame = (v: unknown): boolean => check(v) === undefined;

/**
 * `clientFrame` with the same `safeParse` shape as the zod schema: a frame the check accepts is
 * returned as is (unknown fields kept, and ignored by the server; zod would strip them); anything
 * else is zod's answer, with its issues.
 */
export const clientFrame = {
  safeParse(v: unknown): { success: true; data: ClientFrame } | { success: false; error: unknown } {
    if (check(v) === undefined) return { success: true, data: v as ClientFrame };
    return schema.safeParse(v);
  },
};
