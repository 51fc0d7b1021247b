import type { Logger, LogFields } from './log.js';

/** Capped exponential backoff with equal jitter: half of each delay fixed, half random. */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 5_000 };

/**
 * Delay before retry number `attempt` (0-based): a uniform draw from [cap/2, cap] where
 * cap = min(capMs, baseMs × 2^attempt). Half the window is fixed so retries never bunch at zero.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Logs an upstream that keeps failing the way operators want it: the first failure as a warning, repeats at
 * debug level, and the recovery once.
 */
export class FailureLog {
  private failing = false;

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  failed(error: unknown, fields?: LogFields): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.failing) {
      this.log.debug(`${this.what} still failing`, { ...fields, error: message });
    } else {
      this.failing = true;
      this.log.warn(`${this.what} failed`, { ...fields, error: message });
    }
  }

  recovered(fields?: LogFields): void {
    if (!this.failing) return;
    this.failing = false;
    this.log.info(`${this.what} recovered`, fields);
  }
}
