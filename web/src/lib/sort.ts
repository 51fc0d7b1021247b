/**
 * Sorting the overview while its numbers move. Raw per-second readings would reorder rows every second, so
 * each numeric column sorts on a sort key that (1) follows an exponentially weighted moving average of the
 * readings and (2) only moves when the average has left a dead band around the key's last value. Between two
 * containers of similar load the order therefore holds, while one whose load clearly changes moves within a
 * few seconds.
 */
import type { Sample } from '@dockpulse/shared';

export type NumericColumn = 'cpu' | 'mem' | 'net' | 'blk' | 'pids';
export type TextColumn = 'name' | 'host' | 'image' | 'project' | 'state';
export type SortColumn = TextColumn | NumericColumn;
export type SortDirection = 'asc' | 'desc';

export const NUMERIC_COLUMNS: readonly NumericColumn[] = ['cpu', 'mem', 'net', 'blk', 'pids'];
export const SORT_COLUMNS: readonly SortColumn[] = ['name', 'host', 'image', 'project', 'state', ...NUMERIC_COLUMNS];

/** Sort keys of one container; null where it has no reading (stopped, or not sampled yet). */
export type SortKeys = Readonly<Record<NumericColumn, number | null>>;

export const NO_KEYS: SortKeys = { cpu: null, mem: null, net: null, blk: null, pids: null };

interface Smoothing {
  /** EWMA time constant, ms. */
  tauMs: number;
  /** The key moves when the average differs from it by more than `absolute` and by more than `relative` of it. */
  absolute: number;
  relative: number;
}

/** Chosen so an idle container's noise (a few hundredths of a percent, a few B/s) never reorders rows. */
export const SMOOTHING: Readonly<Record<NumericColumn, Smoothing>> = {
  cpu: { tauMs: 8000, absolute: 0.5, relative: 0.1 },
  mem: { tauMs: 8000, absolute: 256 * 1024, relative: 0.02 },
  net: { tauMs: 8000, absolute: 512, relative: 0.2 },
  blk: { tauMs: 8000, absolute: 512, relative: 0.2 },
  pids: { tauMs: 4000, absolute: 0.5, relative: 0 },
};

/** The reading each numeric column sorts on: CPU %, memory used, rx + tx rate, read + write rate, PIDs. */
export function sampleMetrics(s: Sample): Record<NumericColumn, number | null> {
  return {
    cpu: s.cpu,
    mem: s.mem.used,
    net: sum(s.net.rxRate, s.net.txRate),
    blk: sum(s.blk.readRate, s.blk.writeRate),
    pids: s.pids,
  };
}

function sum(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a + b;
}

/** One EWMA step over `dtMs` of time; a null reading leaves the average where it was. */
export function ewma(prev: number | null, value: number | null, dtMs: number, tauMs: number): number | null {
  if (value === null) return prev;
  if (prev === null) return value;
  const alpha = 1 - Math.exp(-Math.max(0, dtMs) / tauMs);
  return prev + alpha * (value - prev);
}

/** The key after the average moved to `value`: unchanged while `value` stays inside the dead band. */
export function settle(key: number | null, value: number | null, band: Pick<Smoothing, 'absolute' | 'relative'>): number | null {
  if (value === null || key === null) return value;
  const diff = Math.abs(value - key);
  return diff > band.absolute && diff > band.relative * Math.abs(key) ? value : key;
}

/**
 * Smoothed sort keys of one container, fed every sample in time order. `update` tells whether a key moved, so
 * a caller can publish new keys (and re-sort) only then.
 */
export class SortSmoother {
  #avg: Record<NumericColumn, number | null> = { ...NO_KEYS };
  #keys: SortKeys = NO_KEYS;
  #lastT: number | undefined;

  get keys(): SortKeys {
    return this.#keys;
  }

  /** Feeds one sample; returns true when any key changed. */
  update(s: Sample): boolean {
    const dt = this.#lastT === undefined ? 0 : s.t - this.#lastT;
    this.#lastT = s.t;
    const metrics = sampleMetrics(s);
    let next: Record<NumericColumn, number | null> | undefined;
    for (const col of NUMERIC_COLUMNS) {
      const cfg = SMOOTHING[col];
      const avg = ewma(this.#avg[col], metrics[col], dt, cfg.tauMs);
      this.#avg[col] = avg;
      const key = settle(this.#keys[col], avg, cfg);
      if (key !== this.#keys[col]) {
        next ??= { ...this.#keys };
        next[col] = key;
      }
    }
    if (next) this.#keys = next;
    return next !== undefined;
  }

  /** Forgets the readings: the container stopped, so its keys are empty until it runs again. */
  reset(): void {
    this.#avg = { ...NO_KEYS };
    this.#keys = NO_KEYS;
    this.#lastT = undefined;
  }
}

/** What the overview sorts a row by. */
export interface SortableRow {
  id: string;
  /** The host the container is on. */
  host: string;
  name: string;
  image: string;
  /** `project/service`, or empty outside compose. */
  project: string;
  /** Rank of the display state: lower sorts first when ascending. */
  stateRank: number;
  keys: SortKeys;
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** By name, then host (the same name on two hosts), then id: a total order. */
function byName(a: SortableRow, b: SortableRow): number {
  return collator.compare(a.name, b.name) || collator.compare(a.host, b.host) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Compares two rows by a column. Rows without a value (no reading, no compose project) go last in either
 * direction, and ties fall back to the name, so the order is total and the same on every render.
 */
export function compareRows(a: SortableRow, b: SortableRow, column: SortColumn, dir: SortDirection): number {
  const sign = dir === 'asc' ? 1 : -1;
  let c = 0;
  switch (column) {
    case 'name':
      return sign * byName(a, b);
    case 'host':
      c = collator.compare(a.host, b.host);
      break;
    case 'image':
      c = collator.compare(a.image, b.image);
      break;
    case 'project':
      if (a.project === '' || b.project === '') return a.project === b.project ? byName(a, b) : a.project === '' ? 1 : -1;
      c = collator.compare(a.project, b.project);
      break;
    case 'state':
      c = a.stateRank - b.stateRank;
      break;
    case 'cpu':
    case 'mem':
    case 'net':
    case 'blk':
    case 'pids': {
      const x = a.keys[column];
      const y = b.keys[column];
      if (x === null || y === null) return x === y ? byName(a, b) : x === null ? 1 : -1;
      c = x - y;
      break;
    }
  }
  return c === 0 ? byName(a, b) : sign * c;
}

/** Sorts a copy of `rows`. */
export function sortRows<T extends SortableRow>(rows: readonly T[], column: SortColumn, dir: SortDirection): T[] {
  return [...rows].sort((a, b) => compareRows(a, b, column, dir));
}

/** The direction a column starts in when first clicked: biggest first for numbers, A–Z for text. */
export function defaultDirection(column: SortColumn): SortDirection {
  return (NUMERIC_COLUMNS as readonly string[]).includes(column) ? 'desc' : 'asc';
}
