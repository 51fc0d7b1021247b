/**
 * The stored history of a container: what a range query asks (over HTTP, `GET /api/containers/<ref>/history`,
 * or over the socket, a `range` message) and the columnar answer, with its parsers, so that the gateway that
 * answers and the clients that read agree by construction.
 */
import { isFiniteNumber, isObject, isOneOf } from './guards.js';
import { err, ok, type Result } from './result.js';

/** Every figure kept in the history, each a series of points. */
export const HISTORY_METRICS = ['cpu', 'mem', 'memPercent', 'netRx', 'netTx', 'blkRead', 'blkWrite', 'pids'] as const;
/**
 * A figure of the history: `cpu` (% of one core), `mem` (bytes used, as `Sample.mem.used`), `memPercent` (of
 * the container's limit), `netRx`/`netTx`/`blkRead`/`blkWrite` (bytes per second), `pids`.
 */
export type HistoryMetric = (typeof HISTORY_METRICS)[number];

/**
 * The resolutions history is kept at, in seconds: the recent samples in memory (one per interval, usually
 * 1 s; avg, min and max are the sample itself), one point a minute, one point an hour.
 */
export const HISTORY_TIERS = ['raw', 'minute', 'hour'] as const;
export type HistoryTier = (typeof HISTORY_TIERS)[number];

/** Most points one answer holds: 30 days at one a minute, and a little more. */
export const MAX_HISTORY_POINTS = 50_000;
/** Most points an answer holds over the socket, and over HTTP to a share link's token. */
export const MAX_SHARED_HISTORY_POINTS = 5000;

/** A figure's points: the average, least and greatest over each step; `null` where nothing was recorded. */
export interface HistoryBand {
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
}

/** What a range query asks. Times are ms since the epoch; `step` in seconds, the server's choice when absent. */
export interface HistoryQuery {
  from: number;
  to: number;
  step?: number;
  /** The figures wanted; every one when absent. */
  metrics?: HistoryMetric[];
}

/** The answer to a range query: one column of times and, for each figure asked, its band. */
export interface HistoryRange {
  /** The container the points are of. */
  container: { host: string; id: string; name: string };
  /** The resolution the points came from. */
  tier: HistoryTier;
  /** Seconds between points. */
  step: number;
  /** The start of each step, ms since the epoch, from `from` rounded down to a step, every step to `to`. */
  t: number[];
  /** Each figure asked for, one entry per `t`. */
  series: Partial<Record<HistoryMetric, HistoryBand>>;
}

/** Why a query was refused. */
export interface HistoryQueryError {
  message: string;
}

/** The longest span one query may cover: the longest retention that can be configured. */
const MAX_SPAN_MS = 10 * 366 * 86_400_000;

/**
 * Checks a query's numbers, from wherever they came (a query string already turned into numbers, or a
 * socket message): times in order and sane, a step that is a whole number of seconds.
 */
export function checkHistoryQuery(raw: {
  from: unknown;
  to: unknown;
  step?: unknown;
  metrics?: unknown;
}): Result<HistoryQuery, HistoryQueryError> {
  const { from, to, step, metrics } = raw;
  if (!isFiniteNumber(from) || !Number.isInteger(from) || from < 0) return err({ message: '"from" must be a time in ms since the epoch' });
  if (!isFiniteNumber(to) || !Number.isInteger(to) || to < 0) return err({ message: '"to" must be a time in ms since the epoch' });
  if (to <= from) return err({ message: '"to" must be after "from"' });
  if (to - from > MAX_SPAN_MS) return err({ message: 'a query may span ten years at most' });
  const query: HistoryQuery = { from, to };
  if (step !== undefined) {
    if (!isFiniteNumber(step) || !Number.isInteger(step) || step < 1 || step > 86_400 * 31) {
      return err({ message: '"step" must be a whole number of seconds, from 1 to 2678400' });
    }
    query.step = step;
  }
  if (metrics !== undefined) {
    if (!Array.isArray(metrics) || metrics.length === 0 || metrics.length > HISTORY_METRICS.length) {
      return err({ message: `"metrics" must list some of ${HISTORY_METRICS.join(', ')}` });
    }
    const wanted: HistoryMetric[] = [];
    for (const m of metrics) {
      if (!isOneOf(HISTORY_METRICS, m))
        return err({ message: `unknown metric "${String(m).slice(0, 40)}": one of ${HISTORY_METRICS.join(', ')}` });
      if (!wanted.includes(m)) wanted.push(m);
    }
    query.metrics = wanted;
  }
  return ok(query);
}

/** Parses the query string of `GET /api/containers/<ref>/history`: `from`, `to`, `step`, `metrics=cpu,mem`. */
export function parseHistorySearch(search: URLSearchParams): Result<HistoryQuery, HistoryQueryError> {
  const number = (name: string): unknown => {
    const v = search.get(name);
    return v === null ? undefined : /^\d{1,16}$/.test(v) ? Number(v) : v;
  };
  const metrics = search.get('metrics');
  return checkHistoryQuery({
    from: number('from'),
    to: number('to'),
    step: number('step'),
    metrics: metrics === null ? undefined : metrics.split(','),
  });
}

/** The query string of a query, for `GET /api/containers/<ref>/history`. */
export function historySearch(q: HistoryQuery): string {
  const p = new URLSearchParams({ from: String(q.from), to: String(q.to) });
  if (q.step !== undefined) p.set('step', String(q.step));
  if (q.metrics) p.set('metrics', q.metrics.join(','));
  return p.toString();
}

function isPointColumn(v: unknown, length: number): v is (number | null)[] {
  return Array.isArray(v) && v.length === length && v.every((x) => x === null || isFiniteNumber(x));
}

/** Parses a range answer; undefined when malformed. */
export function parseHistoryRange(v: unknown): HistoryRange | undefined {
  if (!isObject(v)) return undefined;
  const { container, tier, step, t, series } = v;
  if (!isObject(container) || typeof container['host'] !== 'string' || typeof container['id'] !== 'string') return undefined;
  if (typeof container['name'] !== 'string') return undefined;
  if (!isOneOf(HISTORY_TIERS, tier) || !isFiniteNumber(step) || step <= 0) return undefined;
  if (!Array.isArray(t) || !t.every(isFiniteNumber) || t.length > MAX_HISTORY_POINTS) return undefined;
  if (!isObject(series)) return undefined;
  const out: HistoryRange['series'] = {};
  for (const [name, band] of Object.entries(series)) {
    if (!isOneOf(HISTORY_METRICS, name) || !isObject(band)) return undefined;
    const { avg, min, max } = band;
    if (!isPointColumn(avg, t.length) || !isPointColumn(min, t.length) || !isPointColumn(max, t.length)) return undefined;
    out[name] = { avg, min, max };
  }
  return { container: { host: container['host'], id: container['id'], name: container['name'] }, tier, step, t, series: out };
}
