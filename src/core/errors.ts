import type { Code } from './codes.js';

/** The one error type anywire rejects and emits with; `code` is one of `codes`. */
export class AnywireError extends Error {
  readonly code: Code;
  /** For RATE_LIMITED / SERVER_SHUTTING_DOWN: the server's hint, in ms, before trying again. */
  readonly retryAfter: number | undefined;

  constructor(code: Code, message: string, options?: { cause?: unknown; retryAfter?: number | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AnywireError';
    this.code = code;
    this.retryAfter = options?.retryAfter;
  }
}

/** The message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
