// The HTTP transports' request bodies, validated at the boundary like every frame. A cursor entry
// is a `sub` frame without its type, plus `q` when the client already holds the confirmation.
// See docs/transports.md for the endpoints.
import * as z from 'zod/mini';
import { CHANNEL_PATTERN, MAX_BATCH, MAX_ID, MAX_SID, MAX_TOKEN, PROTOCOL_VERSION } from '../../../core/protocol.js';

const sid = z.string().check(z.minLength(1), z.maxLength(MAX_SID));

export const cursorEntry = z.object({
  id: z.int().check(z.nonnegative()),
  ch: z.string().check(z.regex(CHANNEL_PATTERN)),
  since: z.optional(z.object({ e: z.string().check(z.minLength(1), z.maxLength(MAX_ID)), o: z.int().check(z.nonnegative()) })),
  q: z.optional(z.boolean()),
  // Rewind and presence (docs/protocol.md); checked like the `sub` frame's fields.
  rw: z.optional(z.int().check(z.positive())),
  pc: z.optional(z.string().check(z.minLength(1), z.maxLength(MAX_ID))),
  p: z.optional(z.custom<unknown>((v) => v !== undefined)),
});

const cursor = z.array(cursorEntry).check(z.maxLength(MAX_BATCH));

const connect = z.object({
  t: z.literal('connect'),
  v: z.literal(PROTOCOL_VERSION),
  token: z.optional(z.string().check(z.maxLength(MAX_TOKEN))),
});

/** `POST <path>/connect`: the handshake of long polling and polling. */
export const connectBody = z.extend(connect, { transport: z.enum(['long-polling', 'polling']) });

/** `POST <path>/poll` and `<path>/long-poll`. */
export const pollBody = z.object({ sid, subs: cursor });

/** `POST <path>/sse`: a handshake (`connect`) or a reopened stream (`sid` and its cursor). */
export const sseBody = z.union([z.object({ sid, subs: cursor }), z.object({ connect, subs: z.optional(cursor) })]);

/** `POST <path>/send`: upstream frames (each validated as a client frame afterwards). */
export const sendBody = z.object({ sid, frames: z.array(z.unknown()).check(z.maxLength(MAX_BATCH)) });

/** `POST <path>/close`: the client leaves (best effort; a vanished client simply stops asking). */
export const closeBody = z.object({ sid });

export type CursorEntry = z.infer<typeof cursorEntry>;
