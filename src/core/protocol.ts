// Constants of the wire protocol: the version and every limit, in one place for both sides (the
// grammar in grammar.ts, the server's schemas and HTTP bodies, the decoders).

/** Protocol version carried by `connect` and `welcome`. */
export const PROTOCOL_VERSION = 2;

/** Channel names: 1–200 characters of letters, digits and `_ - . : @ /`. */
export const CHANNEL_PATTERN = /^[\w\-.:@/]{1,200}$/;

/** Frames in one batch (a JSON array of frames, an HTTP body's frames or cursor entries). */
export const MAX_BATCH = 10_000;
/** Code points of a publish id and of an epoch. */
export const MAX_ID = 64;
/** Code points of an error code. */
export const MAX_CODE = 64;
/** Code points of a session id. */
export const MAX_SID = 4096;
/** Code points of a `connect` token. */
export const MAX_TOKEN = 8192;

/** The most messages one history page or rewind returns (a larger `limit`/`rewind` is capped to it). */
export const MAX_HISTORY_LIMIT = 1000;
