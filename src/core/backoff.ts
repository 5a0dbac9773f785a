/** Reconnect policy; every field optional in user options, defaults below. */
export interface ReconnectOptions {
  /** First delay in ms. Default: 500. */
  minDelay: number;
  /** Upper bound in ms. Default: 10000. */
  maxDelay: number;
  /** Growth per attempt. Default: 2. */
  factor: number;
  /** Share of the delay that is randomised, 0–1 (1 = full jitter). Default: 0.5. */
  jitter: number;
  /** Attempts before giving up (state `disconnected`). Default: Infinity. */
  maxAttempts: number;
}

export const defaultReconnect: ReconnectOptions = {
  minDelay: 500,
  maxDelay: 10_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
};

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential growth capped at maxDelay, of
 * which a `jitter` share is drawn at random, so a crowd of clients does not reconnect in step.
 */
export function backoffDelay(opts: ReconnectOptions, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(opts.maxDelay, opts.minDelay * Math.pow(opts.factor, attempt));
  const jitter = Math.min(1, Math.max(0, opts.jitter));
  return Math.round(base * (1 - jitter * random()));
}
