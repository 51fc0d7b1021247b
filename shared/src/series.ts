/**
 * Per-container sample history kept by a client, and its conversion into the columnar arrays uPlot draws.
 * A ring of typed arrays rather than an array of `Sample` objects: 200 containers × 15 minutes of samples is
 * 180 000 readings, which as objects would cost tens of megabytes and keep the garbage collector busy.
 */
import type { Sample, UnreportedFigure } from './protocol.js';

/** The numeric fields a ring keeps for each sample. */
export const SERIES_FIELDS = ['cpu', 'memUsed', 'memLimit', 'memPercent', 'rxRate', 'txRate', 'readRate', 'writeRate', 'pids'] as const;
export type SeriesField = (typeof SERIES_FIELDS)[number];

/** A gap is drawn where consecutive samples are further apart than this many sampling intervals. */
export const GAP_FACTOR = 1.5;

/** Whether the engine does not report `figure` for the container of `s`: its numbers are 0 and mean nothing. */
export function isUnreported(s: Pick<Sample, 'unreported'> | null | undefined, figure: UnreportedFigure): boolean {
  return s?.unreported?.includes(figure) ?? false;
}

/** Reads a field of a sample; null where the sample has no value, or its engine does not report it. */
export function sampleField(s: Sample, field: SeriesField): number | null {
  switch (field) {
    case 'cpu':
      return s.cpu;
    case 'memUsed':
      return isUnreported(s, 'mem') ? null : s.mem.used;
    case 'memLimit':
      return s.mem.limit;
    case 'memPercent':
      return isUnreported(s, 'mem') ? null : s.mem.percent;
    case 'rxRate':
      return isUnreported(s, 'net') ? null : s.net.rxRate;
    case 'txRate':
      return isUnreported(s, 'net') ? null : s.net.txRate;
    case 'readRate':
      return isUnreported(s, 'blk') ? null : s.blk.readRate;
    case 'writeRate':
      return isUnreported(s, 'blk') ? null : s.blk.writeRate;
    case 'pids':
      return s.pids;
  }
}

/**
 * A fixed-capacity ring of samples of one container, oldest overwritten first. Samples must arrive in time
 * order; one not newer than the last kept is ignored, so the `history` a server resends after a reconnect
 * can be pushed without duplicating what the ring already holds.
 */
export class SeriesRing {
  readonly capacity: number;
  /** Sample times, ms since the epoch. */
  private readonly t: Float64Array;
  /** NaN stands for null. */
  private readonly values: Record<SeriesField, Float64Array>;
  /** 1 where samples were dropped just before this one. */
  private readonly dropped: Uint8Array;
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.t = new Float64Array(capacity);
    this.dropped = new Uint8Array(capacity);
    const values = {} as Record<SeriesField, Float64Array>;
    for (const f of SERIES_FIELDS) values[f] = new Float64Array(capacity);
    this.values = values;
  }

  /** Number of samples held. */
  get length(): number {
    return this.count;
  }

  /** Time of the newest sample, ms; undefined when empty. */
  get lastT(): number | undefined {
    return this.count === 0 ? undefined : this.t[this.slot(this.count - 1)];
  }

  /** Appends a sample; returns false when it is not newer than the newest held, and was ignored. */
  push(s: Sample): boolean {
    const last = this.lastT;
    if (last !== undefined && s.t <= last) return false;
    let slot: number;
    if (this.count < this.capacity) {
      slot = this.slot(this.count);
      this.count++;
    } else {
      slot = this.start;
      this.start = (this.start + 1) % this.capacity;
    }
    this.t[slot] = s.t;
    this.dropped[slot] = s.dropped !== undefined && s.dropped > 0 ? 1 : 0;
    for (const f of SERIES_FIELDS) this.values[f][slot] = sampleField(s, f) ?? Number.NaN;
    return true;
  }

  /** Forgets every sample. */
  clear(): void {
    this.start = 0;
    this.count = 0;
  }

  /** Time of the i-th oldest sample, ms. */
  timeAt(i: number): number {
    return this.t[this.slot(i)] ?? Number.NaN;
  }

  /** Value of a field of the i-th oldest sample; null where the sample had none. */
  valueAt(i: number, field: SeriesField): number | null {
    const v = this.values[field][this.slot(i)];
    return v === undefined || Number.isNaN(v) ? null : v;
  }

  /** True when samples were dropped just before the i-th oldest sample. */
  droppedBefore(i: number): boolean {
    return this.dropped[this.slot(i)] === 1;
  }

  /** Index of the oldest sample at or after `t` (ms); `length` when there is none. */
  indexAtOrAfter(t: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timeAt(mid) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private slot(i: number): number {
    return (this.start + i) % this.capacity;
  }
}

/** Columnar data as uPlot takes it: x in seconds, then one array per field, null for a gap. */
export type Columns = [xs: number[], ...ys: (number | null)[][]];

/** Options of `toColumns`. */
export interface ColumnOptions {
  /** Fields to output, in order. */
  fields: readonly SeriesField[];
  /** The sampling interval, ms; the gap threshold is `GAP_FACTOR` times this. */
  intervalMs: number;
  /** Oldest time to include, ms; all samples when omitted. */
  fromMs?: number;
}

/**
 * Turns a ring into uPlot columns. Where consecutive samples are more than `GAP_FACTOR × intervalMs` apart, or
 * the server dropped samples in between, a point of all nulls is inserted half way, so uPlot breaks the
 * line there instead of drawing straight across the missing time.
 */
export function toColumns(ring: SeriesRing, opts: ColumnOptions): Columns {
  const first = opts.fromMs === undefined ? 0 : ring.indexAtOrAfter(opts.fromMs);
  const gapMs = opts.intervalMs * GAP_FACTOR;
  const xs: number[] = [];
  const ys: (number | null)[][] = opts.fields.map(() => []);
  let prevT: number | undefined;
  for (let i = first; i < ring.length; i++) {
    const t = ring.timeAt(i);
    if (prevT !== undefined && (t - prevT > gapMs || ring.droppedBefore(i))) {
      xs.push((prevT + t) / 2000);
      for (const col of ys) col.push(null);
    }
    xs.push(t / 1000);
    for (let f = 0; f < opts.fields.length; f++) ys[f]!.push(ring.valueAt(i, opts.fields[f]!));
    prevT = t;
  }
  return [xs, ...ys];
}

/** Largest non-null value of a column; undefined when it has none. */
export function columnMax(column: readonly (number | null)[]): number | undefined {
  let max: number | undefined;
  for (const v of column) if (v !== null && (max === undefined || v > max)) max = v;
  return max;
}
