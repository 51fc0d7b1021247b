/**
 * Rolling samples up into points: for each figure of the history, the least, the average, the greatest and
 * the last value over a step. Pure: the recorder feeds it samples and stores what it finishes.
 */
import { HISTORY_METRICS, type HistoryMetric, type Sample } from '@dockpulse/shared';

/** How many figures a point holds, in `HISTORY_METRICS` order. */
export const METRIC_COUNT = HISTORY_METRICS.length;

/** A figure of a sample, or null when the sample has none (the first CPU reading after a gap, say). */
export function metricOf(s: Sample, m: HistoryMetric): number | null {
  switch (m) {
    case 'cpu':
      return s.cpu;
    case 'mem':
      return s.mem.used;
    case 'memPercent':
      return s.mem.percent;
    case 'netRx':
      return s.net.rxRate;
    case 'netTx':
      return s.net.txRate;
    case 'blkRead':
      return s.blk.readRate;
    case 'blkWrite':
      return s.blk.writeRate;
    case 'pids':
      return s.pids;
  }
}

/** One figure over a step. `count` is how many samples had it; the others are null in the point. */
export interface Aggregate {
  count: number;
  sum: number;
  min: number;
  max: number;
  last: number;
}

/** A finished or running point of one container: `t` is the step's start, seconds since the epoch. */
export interface Point {
  host: string;
  id: string;
  t: number;
  /** Samples in the step. */
  n: number;
  /** Each figure, in `HISTORY_METRICS` order; undefined when no sample of the step had it. */
  figures: (Aggregate | undefined)[];
}

/** A point's figure as stored: avg, min, max, last; nulls when no sample had it. */
export function summary(a: Aggregate | undefined): [number | null, number | null, number | null, number | null] {
  if (!a) return [null, null, null, null];
  return [a.sum / a.count, a.min, a.max, a.last];
}

/**
 * The points being filled, one per container, each over `stepS` seconds. A sample of a later step finishes
 * the container's point; `finishBefore` finishes those whose step has ended, for containers that stopped.
 */
export class Rollup {
  /** By host, then by container id: looked up for every sample, so no key is built for it. */
  private readonly open = new Map<string, Map<string, Point>>();
  private count = 0;

  constructor(private readonly stepS: number) {}

  /** Adds a sample; returns the container's point it finished, if the sample starts a new step. */
  add(s: Sample): Point | undefined {
    const t = Math.floor(s.t / 1000 / this.stepS) * this.stepS;
    let host = this.open.get(s.host);
    if (host === undefined) {
      host = new Map();
      this.open.set(s.host, host);
    }
    let p = host.get(s.id);
    let finished: Point | undefined;
    if (p && p.t !== t) {
      finished = p;
      p = undefined;
      this.count--;
    }
    if (!p) {
      p = { host: s.host, id: s.id, t, n: 0, figures: new Array<Aggregate | undefined>(METRIC_COUNT).fill(undefined) };
      host.set(s.id, p);
      this.count++;
    }
    p.n++;
    for (let i = 0; i < METRIC_COUNT; i++) {
      const v = metricOf(s, HISTORY_METRICS[i]!);
      if (v === null || !Number.isFinite(v)) continue;
      const a = p.figures[i];
      if (!a) p.figures[i] = { count: 1, sum: v, min: v, max: v, last: v };
      else {
        a.count++;
        a.sum += v;
        if (v < a.min) a.min = v;
        if (v > a.max) a.max = v;
        a.last = v;
      }
    }
    return finished;
  }

  /** Finishes and returns every point whose step ended before `nowS` (seconds). */
  finishBefore(nowS: number): Point[] {
    const out: Point[] = [];
    for (const [name, host] of this.open) {
      for (const [id, p] of host) {
        if (p.t + this.stepS > nowS) continue;
        out.push(p);
        host.delete(id);
        this.count--;
      }
      if (host.size === 0) this.open.delete(name);
    }
    return out;
  }

  /** Finishes every point, those of the running step too (when the gateway stops). */
  finishAll(): Point[] {
    const out: Point[] = [];
    for (const host of this.open.values()) out.push(...host.values());
    this.open.clear();
    this.count = 0;
    return out;
  }

  /** Points being filled. */
  get size(): number {
    return this.count;
  }
}
