import type { Code } from './codes.js';
import type { TransportName } from './transport.js';

/** One rung of the ladder that failed, in a TRANSPORTS_EXHAUSTED error. */
export interface TransportFailure {
  transport: TransportName;
  error: AnywireError;
}

/** The one error type anywire rejects and emits with; `code` is one of `codes`. */
export class AnywireError extends Error {
  readonly code: Code;
  /** For RATE_LIMITED / SERVER_SHUTTING_DOWN: the server's hint, in ms, before trying again. */
  readonly retryAfter: number | undefined;
  /** TRANSPORTS_EXHAUSTED: every rung tried and why it failed, in ladder order. */
  readonly failures?: TransportFailure[];

  constructor(
    code: Code,
    message: string,
    options?: { cause?: unknown; retryAfter?: number | undefined; failures?: TransportFailure[] | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnywireError';
    this.code = code;
    this.retryAfter = options?.retryAfter;
    if (options?.failures) this.failures = options.failures;
  }
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
