/** Reconnect delays: capped exponential backoff with jitter, as centrifuge-js does it. */

export interface BackoffOptions {
  /** Delay before the first retry, ms (before jitter). */
  minDelayMs: number;
  /** Largest delay, ms. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 20_000 };

/**
 * Delay before retry number `attempt` (0 for the first). "Equal jitter": half of the capped exponential step is
 * fixed and half random, so that a server restart does not bring every dashboard back in the same millisecond,
 * yet no client retries in a tight loop.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const step = Math.min(opts.maxDelayMs, opts.minDelayMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return step / 2 + random() * (step / 2);
}
