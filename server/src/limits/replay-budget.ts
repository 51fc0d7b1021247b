/**
 * How much history a share link's sockets may be sent when they subscribe. A share token is handed to anyone,
 * and a subscribe with full history costs the gateway a whole window of samples (900 by default, about 260 KiB)
 * against a few hundred bytes a second for the live feed: without a bound, a socket that subscribes and
 * unsubscribes in a loop, or a thousand sockets subscribing at once, make the gateway send hundreds of MiB and
 * keep live viewers waiting. Operator sockets hold the access token and are not bounded here.
 */
import { TokenBucket } from './token-bucket.js';

/** The bounds, in windows: one window is `historyMs / intervalMs` samples, what a full-history subscribe asks. */
export const SHARE_REPLAY = {
  /** Each share socket: one full window at once, then one more window a minute. */
  socketWindows: 1,
  socketWindowsPerMinute: 1,
  /** Every share socket of the gateway together: 50 windows at once, then 5 windows a second. */
  gatewayWindows: 50,
  gatewayWindowsPerSecond: 5,
} as const;

/** The samples in one history window. */
export function windowSamples(historyMs: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(historyMs / intervalMs));
}

/** The gateway-wide budget that every share socket draws from. */
export function gatewayReplayBudget(historyMs: number, intervalMs: number, now: () => number = Date.now): TokenBucket {
  const w = windowSamples(historyMs, intervalMs);
  return new TokenBucket(w * SHARE_REPLAY.gatewayWindowsPerSecond, w * SHARE_REPLAY.gatewayWindows, now);
}

/** One share socket's budget, drawing from the gateway's too. */
export class ReplayBudget {
  private readonly own: TokenBucket;

  constructor(
    historyMs: number,
    intervalMs: number,
    private readonly gateway: TokenBucket,
    now: () => number = Date.now,
  ) {
    const w = windowSamples(historyMs, intervalMs);
    this.own = new TokenBucket((w * SHARE_REPLAY.socketWindowsPerMinute) / 60, w * SHARE_REPLAY.socketWindows, now);
  }

  /**
   * How many of `wanted` history samples may be sent now (the newest that many); what is granted is spent from
   * both budgets, what the gateway's budget cannot cover is given back to the socket's.
   */
  grant(wanted: number): number {
    const mine = this.own.takeUpTo(wanted);
    const granted = this.gateway.takeUpTo(mine);
    this.own.giveBack(mine - granted);
    return granted;
  }
}
