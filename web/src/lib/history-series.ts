/**
 * A range answer shaped for the history charts: uPlot's columns (x in seconds), each figure as its average
 * line with the least and greatest beside it for the band, and nulls kept as nulls, so that where nothing was
 * recorded the chart draws a gap and never a 0.
 */
import type { HistoryMetric, HistoryRange } from '@dockpulse/shared';
import type uPlot from 'uplot';

/** Columns of one chart: `[x, avg₁, min₁, max₁, avg₂, min₂, max₂, …]`, in the order of `metrics`. */
export function bandColumns(range: HistoryRange, metrics: readonly HistoryMetric[]): uPlot.AlignedData {
  const x = range.t.map((t) => t / 1000);
  const empty = (): (number | null)[] => new Array<number | null>(x.length).fill(null);
  const cols: (number | null)[][] = [];
  for (const m of metrics) {
    const band = range.series[m];
    // A figure the answer lacks is a gap over the whole span, not a line at 0.
    cols.push(band?.avg ?? empty(), band?.min ?? empty(), band?.max ?? empty());
  }
  return [x, ...cols];
}

/**
 * Indices of the points that stand alone between gaps (or at an edge next to one): a line needs two points,
 * so these are drawn as dots or they would not show at all.
 */
export function isolatedPoints(col: ArrayLike<number | null | undefined>): number[] {
  const out: number[] = [];
  const has = (i: number) => i >= 0 && i < col.length && col[i] != null;
  for (let i = 0; i < col.length; i++) if (has(i) && !has(i - 1) && !has(i + 1)) out.push(i);
  return out;
}

/** The index of the last point with a value; -1 when there is none. */
export function lastWithValue(col: ArrayLike<number | null | undefined>): number {
  for (let i = col.length - 1; i >= 0; i--) if (col[i] != null) return i;
  return -1;
}

/** Points with a value. */
export function countValues(col: ArrayLike<number | null | undefined>): number {
  let n = 0;
  for (let i = 0; i < col.length; i++) if (col[i] != null) n++;
  return n;
}

/** A figure over a whole span: the mean of its averages and its greatest value; null where it has no points. */
export interface SpanSummary {
  avg: number | null;
  max: number | null;
}

export function summarize(range: HistoryRange, metric: HistoryMetric): SpanSummary {
  const band = range.series[metric];
  if (!band) return { avg: null, max: null };
  let sum = 0;
  let n = 0;
  let max: number | null = null;
  band.avg.forEach((v, i) => {
    if (v !== null) {
      sum += v;
      n++;
    }
    const hi = band.max[i] ?? v;
    if (hi !== null && hi !== undefined && (max === null || hi > max)) max = hi;
  });
  return { avg: n > 0 ? sum / n : null, max };
}
