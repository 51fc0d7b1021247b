/**
 * Failed authentication, counted per client address on every path that takes a credential: the login, a bearer
 * token on the HTTP API and `/metrics`, a share token over HTTP, and every token a socket offers. An address
 * that fails more than its budget has its further failures answered `429` (or a socket closed with 4429) rather
 * than `401`, and they are no longer logged one by one.
 *
 * A credential that is right always gets in, whatever its address failed before: behind a reverse proxy every
 * client has the proxy's address, and a guessing run by one of them must not lock out the others. So the limit
 * tells a guessing client to stop and keeps its noise bounded; what makes guessing hopeless is the length of
 * the token (`DOCKPULSE_TOKEN` takes 16 characters at least; 32 random ones are advised).
 *
 * The address is the TCP peer's, never `X-Forwarded-For`, which any client can write.
 */
import { TokenBucket } from './token-bucket.js';

/** The budget of each address: 20 failures at once, then 10 a minute. */
export const AUTH_FAILURES = { burst: 20, perMinute: 10, trackedAddresses: 10_000 } as const;

/** Seconds after which a throttled address may fail once more, for `Retry-After`. */
export const AUTH_RETRY_AFTER_S = Math.ceil(60 / AUTH_FAILURES.perMinute);

/** Failure budgets by client address. */
export class AuthFailures {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts a failure from `address`; false when it was over the budget (throttled). */
  fail(address: string): boolean {
    let bucket = this.buckets.get(address);
    if (bucket) {
      // Most recently failing last, so that the address evicted when full is the one quiet longest.
      this.buckets.delete(address);
    } else {
      if (this.buckets.size >= AUTH_FAILURES.trackedAddresses) this.evict();
      bucket = new TokenBucket(AUTH_FAILURES.perMinute / 60, AUTH_FAILURES.burst, this.now);
    }
    this.buckets.set(address, bucket);
    return bucket.take();
  }

  /** Addresses tracked now, for tests. */
  get tracked(): number {
    return this.buckets.size;
  }

  /** Forgets the addresses whose budget is whole again, or else the one quiet longest. */
  private evict(): void {
    for (const [address, bucket] of this.buckets) if (bucket.full) this.buckets.delete(address);
    if (this.buckets.size >= AUTH_FAILURES.trackedAddresses) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) this.buckets.delete(oldest.value);
    }
  }
}
