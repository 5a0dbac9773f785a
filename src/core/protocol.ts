// Constants of the wire protocol, shared by the schemas (server) and the client's frame check.

/** Protocol version carried by `connect` and `welcome`. */
export const PROTOCOL_VERSION = 1;

/** Channel names: 1–200 characters of letters, digits and `_ - . : @ /`. */
export const CHANNEL_PATTERN = /^[\w\-.:@/]{1,200}$/;

/** The most messages one history page or rewind returns (a larger `limit`/`rewind` is capped to it). */
export const MAX_HISTORY_LIMIT = 1000;
