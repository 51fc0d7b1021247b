/**
 * The time windows of a container's charts and the resolution a history query asks for: the live windows
 * draw the samples the socket streams; the long ones ask the gateway for its stored points.
 */

/** Seconds between points that a history query may ask for: round numbers on a clock. */
export const HISTORY_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400] as const;

/** Most points a chart asks for: about one per pixel of a wide chart, well inside the socket's 5000. */
export const MAX_CHART_POINTS = 1000;

/**
 * The step, in seconds, for a span: the smallest round step that keeps it within `maxPoints`. The gateway
 * rounds it up to what it keeps for that span (a minute beyond its recent samples, an hour beyond its minutes).
 */
export function stepFor(spanMs: number, maxPoints: number = MAX_CHART_POINTS): number {
  const least = spanMs / 1000 / Math.max(1, maxPoints - 1);
  return HISTORY_STEPS.find((s) => s >= least) ?? Math.ceil(least / 86_400) * 86_400;
}

/** Shortest span a drag may zoom to: below a minute, the gateway's points are no finer than the live chart. */
export const MIN_ZOOM_MS = 60_000;

/** The span a drag selected, widened about its middle to `MIN_ZOOM_MS`; undefined for a click. */
export function zoomSpan(fromMs: number, toMs: number): { from: number; to: number } | undefined {
  const [a, b] = fromMs <= toMs ? [fromMs, toMs] : [toMs, fromMs];
  if (!(b > a)) return undefined;
  if (b - a >= MIN_ZOOM_MS) return { from: Math.round(a), to: Math.round(b) };
  const mid = (a + b) / 2;
  return { from: Math.round(mid - MIN_ZOOM_MS / 2), to: Math.round(mid + MIN_ZOOM_MS / 2) };
}

/** A step in words: `1 s`, `5 min`, `1 h`, `1 d`. */
export function formatStep(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
