/**
 * Error codes carried by `AnywireError.code` and by `err` frames on the wire.
 * `codes.X === 'X'`, so a code can be compared by value or by constant.
 */
export interface Codes {
  /** The server did not accept the token (or there was none and one is required). */
  readonly UNAUTHORIZED: 'UNAUTHORIZED';
  /** The identity may not subscribe to or publish on this channel. */
  readonly FORBIDDEN: 'FORBIDDEN';
  /** The data is larger than the server's `maxPayload` (UTF-8 bytes of its JSON, or binary length). */
  readonly PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE';
  /** A frame or request was malformed or used an invalid channel name. */
  readonly BAD_REQUEST: 'BAD_REQUEST';
  /** Too many frames or requests in too short a time. */
  readonly RATE_LIMITED: 'RATE_LIMITED';
  /** The server did not answer in time (publish ack, connect handshake). */
  readonly TIMEOUT: 'TIMEOUT';
  /** The client was closed by `close()`; pending work is rejected with this. */
  readonly CLOSED: 'CLOSED';
  /** Every transport of the ladder failed; the message names each rung and its reason. */
  readonly TRANSPORTS_EXHAUSTED: 'TRANSPORTS_EXHAUSTED';
  /** The peer broke the wire protocol (unparseable or unexpected frame). */
  readonly PROTOCOL_ERROR: 'PROTOCOL_ERROR';
  /** The server is shutting down; reconnect (elsewhere) after the hinted delay. */
  readonly SERVER_SHUTTING_DOWN: 'SERVER_SHUTTING_DOWN';
  /** The broker (e.g. Redis) is unreachable; publishes are rejected until it returns. */
  readonly BROKER_UNAVAILABLE: 'BROKER_UNAVAILABLE';
  /** An HTTP session id is unknown, forged or expired: start a new session and resubscribe. */
  readonly SESSION_INVALID: 'SESSION_INVALID';
  /** The client read too slowly; the server dropped it and it resumes from history. */
  readonly SLOW_CONSUMER: 'SLOW_CONSUMER';
  /**
   * The identity's `exp` passed without a valid new token handed over on the connection: the server
   * ended it. A client with a `token` function reconnects at once, calling it.
   */
  readonly TOKEN_EXPIRED: 'TOKEN_EXPIRED';
  /** The connection was lost before an answer arrived. */
  readonly DISCONNECTED: 'DISCONNECTED';
  /**
   * A listener or handler of the application threw (the throw is the `cause`). Reported on the
   * client's `error` event; anywire itself goes on (docs/browser.md, "Errors in your code").
   */
  readonly LISTENER_ERROR: 'LISTENER_ERROR';
  /** A server bound was reached (`maxSubscriptions` per session, `maxSessions` per server); not retried. */
  readonly LIMIT_EXCEEDED: 'LIMIT_EXCEEDED';
}

/** Built from one string: a literal object would carry every name twice in the browser bundle. */
export const codes = /* @__PURE__ */ Object.fromEntries(
  'UNAUTHORIZED FORBIDDEN PAYLOAD_TOO_LARGE BAD_REQUEST RATE_LIMITED TIMEOUT CLOSED TRANSPORTS_EXHAUSTED PROTOCOL_ERROR SERVER_SHUTTING_DOWN BROKER_UNAVAILABLE SESSION_INVALID SLOW_CONSUMER DISCONNECTED TOKEN_EXPIRED LISTENER_ERROR LIMIT_EXCEEDED'
    .split(' ')
    .map((c) => [c, c]),
) as unknown as Codes;

export type Code = Codes[keyof Codes];
