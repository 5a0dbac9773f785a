/**
 * Error codes carried by `AnywireError.code` and by `err` frames on the wire.
 * `codes.X === 'X'`, so a code can be compared by value or by constant.
 */
export const codes = {
  /** The server did not accept the token (or there was none and one is required). */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The identity may not subscribe to or publish on this channel. */
  FORBIDDEN: 'FORBIDDEN',
  /** The data is larger than the server's `maxPayload` (UTF-8 bytes of its JSON, or binary length). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A frame or request was malformed or used an invalid channel name. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** Too many frames or requests in too short a time. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The server did not answer in time (publish ack, connect handshake). */
  TIMEOUT: 'TIMEOUT',
  /** The client was closed by `close()`; pending work is rejected with this. */
  CLOSED: 'CLOSED',
  /** Every transport of the ladder failed; the message names each rung and its reason. */
  TRANSPORTS_EXHAUSTED: 'TRANSPORTS_EXHAUSTED',
  /** The peer broke the wire protocol (unparseable or unexpected frame). */
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  /** The server is shutting down; reconnect (elsewhere) after the hinted delay. */
  SERVER_SHUTTING_DOWN: 'SERVER_SHUTTING_DOWN',
  /** The broker (e.g. Redis) is unreachable; publishes are rejected until it returns. */
  BROKER_UNAVAILABLE: 'BROKER_UNAVAILABLE',
  /** An HTTP session id is unknown, forged or expired: start a new session and resubscribe. */
  SESSION_INVALID: 'SESSION_INVALID',
  /** The client read too slowly; the server dropped it and it resumes from history. */
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  /** The connection was lost before an answer arrived. */
  DISCONNECTED: 'DISCONNECTED',
} as const;

export type Code = (typeof codes)[keyof typeof codes];
