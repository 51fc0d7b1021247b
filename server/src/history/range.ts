/**
 * Answers a range query: picks the tier (the recent samples in memory, minutes, hours) from the span, the step
 * asked and what each tier still keeps, and lays the points out in columns, one entry per step from `from` to
 * `to`, with null where nothing was recorded (the gateway was not running, the container was not).
 */
import {
  HISTORY_METRICS,
  MAX_HISTORY_POINTS,
  err,
  ok,
  type HistoryBand,
  type HistoryMetric,
  type HistoryQuery,
  type HistoryRange,
  type HistoryTier,
  type Result,
  type Sample,
} from '@dockpulse/shared';
import { metricOf } from './rollup.js';
import { TIER_STEP, type HistoryStore, type StoredTier } from './store.js';

export interface RangeContext {
  store: HistoryStore | undefined;
  /** The samples kept in memory for a container, from `since` (ms) on. */
  recent: (host: string, id: string, since: number) => Sample[];
  intervalMs: number;
  /** How far back the samples in memory go. */
  historyMs: number;
  /** How long each stored tier is kept, seconds. */
  keepS: Record<StoredTier, number>;
  now: () => number;
}

/** Why a range query was not answered. */
export interface RangeError {
  status: 400 | 503;
  message: string;
}

/** The tier and step (seconds) that answer a query. */
export function planRange(
  ctx: RangeContext,
  q: HistoryQuery,
  maxPoints = MAX_HISTORY_POINTS,
): Result<{ tier: HistoryTier; step: number }, RangeError> {
  const now = ctx.now();
  const span = q.to - q.from;
  const rawStep = Math.max(1, Math.ceil(ctx.intervalMs / 1000));
  const rawCovers = ctx.historyMs > 0 && q.from >= now - ctx.historyMs - ctx.intervalMs;
  const minuteCovers = q.from >= now - ctx.keepS.minute * 1000;
  const points = (stepS: number): number => Math.ceil(span / (stepS * 1000)) + 1;
  const roundUp = (v: number, unit: number): number => Math.max(unit, Math.ceil(v / unit) * unit);
  let plan: { tier: HistoryTier; step: number };
  if (q.step === undefined) {
    if (rawCovers && points(rawStep) <= maxPoints) plan = { tier: 'raw', step: rawStep };
    else if (minuteCovers && points(TIER_STEP.minute) <= maxPoints) plan = { tier: 'minute', step: TIER_STEP.minute };
    else plan = { tier: 'hour', step: roundUp(span / 1000 / (maxPoints - 1), TIER_STEP.hour) };
  } else if (q.step < TIER_STEP.minute && rawCovers) plan = { tier: 'raw', step: roundUp(q.step, rawStep) };
  else if (q.step < TIER_STEP.hour && minuteCovers) plan = { tier: 'minute', step: roundUp(q.step, TIER_STEP.minute) };
  else plan = { tier: 'hour', step: roundUp(q.step, TIER_STEP.hour) };
  if (plan.tier !== 'raw' && !ctx.store) return err({ status: 503, message: 'this gateway keeps no history beyond its recent samples' });
  // Refused before any point is read: the cost of an answer is in its points.
  if (points(plan.step) > maxPoints) {
    const least = Math.ceil(span / 1000 / (maxPoints - 1));
    return err({
      status: 400,
      message: `${points(plan.step)} points is too many (at most ${maxPoints}): ask a step of ${least} s or more`,
    });
  }
  return ok(plan);
}

function emptyBand(n: number): HistoryBand {
  return {
    avg: new Array<number | null>(n).fill(null),
    min: new Array<number | null>(n).fill(null),
    max: new Array<number | null>(n).fill(null),
  };
}

/** Rounds a figure for the wire: what a chart shows, no more digits. */
function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 100) / 100;
}

/**
 * The points of one container. `storedKey` is its key in the store, undefined when nothing of it was stored
 * (a container younger than its first minute).
 */
export function answerRange(
  ctx: RangeContext,
  container: { host: string; id: string; name: string },
  storedKey: number | undefined,
  q: HistoryQuery,
  maxPoints = MAX_HISTORY_POINTS,
): Result<HistoryRange, RangeError> {
  const plan = planRange(ctx, q, maxPoints);
  if (!plan.ok) return plan;
  const { tier, step } = plan.value;
  const stepMs = step * 1000;
  const t0 = Math.floor(q.from / stepMs) * stepMs;
  const n = Math.floor((q.to - t0) / stepMs) + 1;
  const metrics: readonly HistoryMetric[] = q.metrics ?? HISTORY_METRICS;
  const bands = metrics.map(() => emptyBand(n));
  const t = Array.from({ length: n }, (_, i) => t0 + i * stepMs);

  if (tier === 'raw') {
    const sums = metrics.map(() => ({ sum: new Float64Array(n), count: new Uint32Array(n) }));
    for (const s of ctx.recent(container.host, container.id, t0)) {
      if (s.t > q.to) break;
      const i = Math.floor((s.t - t0) / stepMs);
      if (i < 0 || i >= n) continue;
      metrics.forEach((m, j) => {
        const v = metricOf(s, m);
        if (v === null || !Number.isFinite(v)) return;
        const band = bands[j]!;
        const acc = sums[j]!;
        acc.sum[i]! += v;
        acc.count[i]!++;
        band.min[i] = band.min[i] === null ? v : Math.min(band.min[i]!, v);
        band.max[i] = band.max[i] === null ? v : Math.max(band.max[i]!, v);
      });
    }
    metrics.forEach((_, j) => {
      const acc = sums[j]!;
      const band = bands[j]!;
      for (let i = 0; i < n; i++) {
        if (acc.count[i]! > 0) {
          band.avg[i] = round(acc.sum[i]! / acc.count[i]!);
          band.min[i] = round(band.min[i]!);
          band.max[i] = round(band.max[i]!);
        }
      }
    });
  } else if (storedKey !== undefined && ctx.store) {
    for (const row of ctx.store.query(storedKey, tier, Math.floor(q.from / 1000), Math.floor(q.to / 1000), step, metrics)) {
      const i = Math.floor((row.t * 1000 - t0) / stepMs);
      if (i < 0 || i >= n) continue;
      row.figures.forEach((f, j) => {
        if (!f) return;
        const band = bands[j]!;
        const [avg, min, max] = f;
        band.avg[i] = avg === null ? null : round(avg);
        band.min[i] = min === null ? null : round(min);
        band.max[i] = max === null ? null : round(max);
      });
    }
  }
  const series: HistoryRange['series'] = {};
  metrics.forEach((m, j) => (series[m] = bands[j]!));
  return ok({ container, tier, step, t, series });
}
