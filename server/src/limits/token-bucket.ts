/** A token bucket: `rate` tokens a second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when there is none. */
  take(): boolean {
    return this.takeUpTo(1) === 1;
  }

  /** Takes as many whole tokens as there are, up to `wanted`; returns how many it took. */
  takeUpTo(wanted: number): number {
    this.refill();
    const taken = Math.max(0, Math.min(Math.floor(wanted), Math.floor(this.tokens)));
    this.tokens -= taken;
    return taken;
  }

  /** Returns `n` tokens taken but not used, up to the burst. */
  giveBack(n: number): void {
    this.tokens = Math.min(this.burst, this.tokens + Math.max(0, n));
  }

  /** True when the bucket is full again: it holds nothing worth remembering. */
  get full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}
