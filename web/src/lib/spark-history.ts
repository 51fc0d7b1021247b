/**
 * Which containers' hour-long sparklines to ask the gateway for next: those on screen whose points are older
 * than a minute (or were never asked), a few at a time, so that a list of hundreds asks only for the rows in
 * view and never floods the socket's rate limit.
 */

/** How often one container's hour is asked again: the gateway writes one point a minute. */
export const SPARK_HOUR_REFRESH_MS = 60_000;
/** Queries started per tick (the scheduler ticks every second), and at most this many in flight. */
export const SPARK_HOUR_PER_TICK = 4;
export const SPARK_HOUR_IN_FLIGHT = 8;

/**
 * The keys to ask now, oldest answer first (never asked before all others), at most `limit` of them and as many
 * as `inFlight` leaves room for.
 */
export function dueKeys(
  wanted: Iterable<string>,
  fetchedAt: ReadonlyMap<string, number>,
  inFlight: ReadonlySet<string>,
  now: number,
  limit: number = SPARK_HOUR_PER_TICK,
  maxInFlight: number = SPARK_HOUR_IN_FLIGHT,
): string[] {
  const room = Math.min(limit, maxInFlight - inFlight.size);
  if (room <= 0) return [];
  const due: [string, number][] = [];
  for (const key of wanted) {
    if (inFlight.has(key)) continue;
    const at = fetchedAt.get(key) ?? -Infinity;
    if (now - at >= SPARK_HOUR_REFRESH_MS) due.push([key, at]);
  }
  due.sort((a, b) => a[1] - b[1]);
  return due.slice(0, room).map(([key]) => key);
}
