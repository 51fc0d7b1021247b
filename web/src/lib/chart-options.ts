/**
 * uPlot options of a container's charts, live and from history: series, colours, axes, and the stable scales
 * (CPU 0 to max(100 %, peak), memory 0 to its limit or, without one, to its peak, rates and PIDs from 0) that
 * keep a chart from jumping as values move.
 */
import type uPlot from 'uplot';
import { MISSING, formatBytes, formatCount, formatPercent, formatRate, type HistoryMetric } from '@dockpulse/shared';
import { isolatedPoints, lastWithValue } from './history-series.js';

export type ChartKind = 'cpu' | 'mem' | 'net' | 'blk' | 'pids';

/** Every chart, in the container view's order. */
export const CHART_KINDS: readonly ChartKind[] = ['cpu', 'mem', 'net', 'blk', 'pids'];

/** Options as `Chart` takes them: it measures width and height itself. */
export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

export interface Palette {
  text: string;
  grid: string;
  cpu: string;
  mem: string;
  limit: string;
  rx: string;
  tx: string;
  read: string;
  write: string;
  pids: string;
}

/** Line colours with enough contrast on each background, and told apart by more than hue alone (dashes). */
export const PALETTES: Readonly<Record<'light' | 'dark', Palette>> = {
  light: {
    text: '#4b5563',
    grid: 'rgba(17, 24, 39, 0.08)',
    cpu: '#2563eb',
    mem: '#7c3aed',
    limit: '#9ca3af',
    rx: '#059669',
    tx: '#d97706',
    read: '#0891b2',
    write: '#dc2626',
    pids: '#475569',
  },
  dark: {
    text: '#9ca3af',
    grid: 'rgba(229, 231, 235, 0.08)',
    cpu: '#60a5fa',
    mem: '#a78bfa',
    limit: '#6b7280',
    rx: '#34d399',
    tx: '#fbbf24',
    read: '#22d3ee',
    write: '#f87171',
    pids: '#cbd5e1',
  },
};

const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
/** Every chart's y axis has this width, so the plots line up on one time axis. */
const Y_AXIS_SIZE = 70;
const KiB = 1024;

/** Binary tick steps (1, 2, 5 × 1024^k) so byte axes read `512 KiB`, `1 MiB`, not `1.91 MiB`. */
const BYTE_INCRS: number[] = [];
for (let k = 0; k <= 5; k++) for (const m of [1, 2, 5, 10, 20, 50, 100, 200, 500]) BYTE_INCRS.push(m * KiB ** k);

function finite(n: number | null | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** What each kind draws; the columns of its data follow `series` in order. */
interface KindSpec {
  series: (p: Palette) => uPlot.Series[];
  range: uPlot.Range.Function;
  tick: (v: number) => string;
  incrs?: number[];
}

const withAlpha = (hex: string, alpha: string) => `${hex}${alpha}`;

const SPECS: Readonly<Record<ChartKind, KindSpec>> = {
  cpu: {
    series: (p) => [{ label: 'CPU', stroke: p.cpu, fill: withAlpha(p.cpu, '22'), width: 1.5, value: (_u, v) => formatPercent(v) }],
    // Percent of one core: a single-threaded container maxes out at 100, a busier one goes past it.
    range: (_u, _min, max) => [0, Math.max(100, (finite(max) ?? 0) * 1.05)],
    tick: (v) => `${Math.round(v)}%`,
  },
  mem: {
    series: (p) => [
      { label: 'Used', stroke: p.mem, fill: withAlpha(p.mem, '22'), width: 1.5, value: (_u, v) => formatBytes(v) },
      { label: 'Limit', stroke: p.limit, width: 1, dash: [4, 4], value: (_u, v) => formatBytes(v) },
    ],
    // The limit is drawn, so the top of the scale is the limit itself (or usage, should it ever pass it).
    range: (_u, _min, max) => [0, Math.max(KiB, finite(max) ?? 0)],
    tick: (v) => formatBytes(v),
    incrs: BYTE_INCRS,
  },
  net: {
    series: (p) => [
      { label: 'Received', stroke: p.rx, width: 1.5, value: (_u, v) => formatRate(v) },
      { label: 'Sent', stroke: p.tx, width: 1.5, dash: [6, 3], value: (_u, v) => formatRate(v) },
    ],
    range: (_u, _min, max) => [0, Math.max(KiB, (finite(max) ?? 0) * 1.1)],
    tick: (v) => formatRate(v),
    incrs: BYTE_INCRS,
  },
  blk: {
    series: (p) => [
      { label: 'Read', stroke: p.read, width: 1.5, value: (_u, v) => formatRate(v) },
      { label: 'Written', stroke: p.write, width: 1.5, dash: [6, 3], value: (_u, v) => formatRate(v) },
    ],
    range: (_u, _min, max) => [0, Math.max(KiB, (finite(max) ?? 0) * 1.1)],
    tick: (v) => formatRate(v),
    incrs: BYTE_INCRS,
  },
  pids: {
    series: (p) => [{ label: 'PIDs', stroke: p.pids, width: 1.5, value: (_u, v) => formatCount(v) }],
    range: (_u, _min, max) => [0, Math.max(4, Math.ceil((finite(max) ?? 0) * 1.25))],
    tick: (v) => (Number.isInteger(v) ? formatCount(v) : ''),
  },
};

/** Scale of the memory chart: up to the container's limit, or up to its own peak usage. */
export type MemoryScale = 'limit' | 'usage';

/**
 * The memory chart's scale: the one the person chose, else fitted to usage for a container without a limit
 * (whose "limit" is the host's memory, against which its line would lie flat at the bottom), and up to the
 * limit for one with a limit or while that is not known.
 */
export function memoryScaleOf(chosen: MemoryScale | undefined, limited: boolean | undefined): MemoryScale {
  return chosen ?? (limited === false ? 'usage' : 'limit');
}

/** Memory scaled to its own peak, with the limit line hidden: for containers far below their limit. */
const MEM_BY_USAGE: KindSpec = {
  series: (p) => [
    { label: 'Used', stroke: p.mem, fill: withAlpha(p.mem, '22'), width: 1.5, value: (_u, v) => formatBytes(v) },
    { label: 'Limit', stroke: p.limit, width: 1, dash: [4, 4], show: false, value: (_u, v) => formatBytes(v) },
  ],
  range: (u, _min, _max) => {
    // The hidden limit series still counts toward the scale's max, so take the peak of the used column.
    let peak = 0;
    for (const v of u.data[1] ?? []) if (v != null && v > peak) peak = v;
    return [0, Math.max(KiB, peak * 1.2)];
  },
  tick: (v) => formatBytes(v),
  incrs: BYTE_INCRS,
};

/** Time axis labels: `14:05` on the minute, `14:05:30` between. */
function clockTick(t: number | null): string {
  if (t === null) return '';
  const d = new Date(t * 1000);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return d.getSeconds() === 0 ? hm : `${hm}:${String(d.getSeconds()).padStart(2, '0')}`;
}

/** The look every axis shares, and the y axis of a kind: its ticks in the kind's units, one width for all. */
function axesOf(p: Palette, spec: KindSpec): { axisBase: uPlot.Axis; yAxis: uPlot.Axis } {
  const axisBase: uPlot.Axis = { stroke: p.text, font: FONT, grid: { stroke: p.grid, width: 1 }, ticks: { stroke: p.grid, width: 1 } };
  const yAxis: uPlot.Axis = {
    ...axisBase,
    size: Y_AXIS_SIZE,
    values: (_u, splits) => splits.map((v) => (v === null ? '' : spec.tick(v))),
  };
  if (spec.incrs) yAxis.incrs = spec.incrs;
  return { axisBase, yAxis };
}

export interface ChartSettings {
  dark: boolean;
  /** The scale the person chose for the memory chart; by default it follows `memoryLimited`. */
  memoryScale?: MemoryScale | undefined;
  /** Whether the container has a memory limit of its own (`hasMemoryLimit`); undefined before any sample. */
  memoryLimited?: boolean | undefined;
  /** Visible time span, ms, ending at the newest sample. */
  windowMs: number;
  /** Charts with the same key share one cursor. */
  syncKey: string;
}

/** uPlot options for one chart of the container view. */
export function chartOptions(kind: ChartKind, s: ChartSettings): ChartOptions {
  const p = PALETTES[s.dark ? 'dark' : 'light'];
  const spec = kind === 'mem' && memoryScaleOf(s.memoryScale, s.memoryLimited) === 'usage' ? MEM_BY_USAGE : SPECS[kind];
  const windowS = s.windowMs / 1000;
  const { axisBase, yAxis } = axesOf(p, spec);
  return {
    // The time window ends at the newest sample, not the browser's clock, so a skewed clock cannot push the
    // data off the edge.
    scales: {
      x: {
        time: true,
        range: (_u, _min, max) => {
          const end = finite(max) ?? Date.now() / 1000;
          return [end - windowS, end];
        },
      },
      y: { range: spec.range },
    },
    series: [{ value: (_u, v) => (v === null ? MISSING : new Date(v * 1000).toLocaleTimeString()) }, ...spec.series(p)],
    axes: [{ ...axisBase, size: 30, space: 56, values: (_u, splits) => splits.map(clockTick) }, yAxis],
    cursor: {
      sync: { key: s.syncKey },
      // Zooming fights the live window, which moves every second.
      drag: { x: false, y: false, setScale: false },
      points: { size: 6 },
    },
    legend: { live: true },
    padding: [8, 8, 0, 0],
    hooks: {
      // Away from the cursor the legend shows the newest values rather than dashes that read as missing data.
      setLegend: [
        (u) => {
          const n = u.data[0].length;
          const away = (u.cursor.left ?? -1) < 0;
          if (away && n > 0 && u.legend.idx !== n - 1) u.setLegend({ idx: n - 1 }, false);
        },
      ],
    },
  };
}

/** One line of a history chart: a figure's average, with its least and greatest as a band around it. */
interface HistoryLine {
  metric: HistoryMetric;
  label: string;
  color: (p: Palette) => string;
  dash?: number[];
  format: (v: number | null | undefined) => string;
}

const HISTORY_LINES: Readonly<Record<ChartKind, readonly HistoryLine[]>> = {
  cpu: [{ metric: 'cpu', label: 'CPU', color: (p) => p.cpu, format: formatPercent }],
  mem: [{ metric: 'mem', label: 'Used', color: (p) => p.mem, format: formatBytes }],
  net: [
    { metric: 'netRx', label: 'Received', color: (p) => p.rx, format: formatRate },
    { metric: 'netTx', label: 'Sent', color: (p) => p.tx, dash: [6, 3], format: formatRate },
  ],
  blk: [
    { metric: 'blkRead', label: 'Read', color: (p) => p.read, format: formatRate },
    { metric: 'blkWrite', label: 'Written', color: (p) => p.write, dash: [6, 3], format: formatRate },
  ],
  pids: [{ metric: 'pids', label: 'PIDs', color: (p) => p.pids, format: formatCount }],
};

/** The figures each history chart draws, in the order of its columns (see `bandColumns`). */
export const HISTORY_METRICS_OF: Readonly<Record<ChartKind, readonly HistoryMetric[]>> = {
  cpu: ['cpu'],
  mem: ['mem'],
  net: ['netRx', 'netTx'],
  blk: ['blkRead', 'blkWrite'],
  pids: ['pids'],
};

export interface HistoryChartSettings {
  dark: boolean;
  /**
   * The span asked, ms since the epoch: the x axis shows all of it, gaps included. Read when the chart draws,
   * so that a window that moves with the clock keeps its chart (and the cursor on it) rather than rebuild it.
   */
  span: () => { from: number; to: number };
  /** Seconds between points: a band is drawn where a point sums up more than one sample. */
  banded: boolean;
  syncKey: string;
  /** A drag across the chart selected this span, ms since the epoch. */
  onZoom?: (from: number, to: number) => void;
}

/** Time axis labels of a span: seconds within an hour (a zoom), the clock within a day, the date beyond. */
function historyTick(spanS: number): (t: number | null) => string {
  return (t) => {
    if (t === null) return '';
    if (spanS <= 3600) return clockTick(t);
    const d = new Date(t * 1000);
    const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    if (spanS <= 86_400) return hm;
    const day = d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
    return d.getHours() === 0 && d.getMinutes() === 0 ? day : `${day} ${hm}`;
  };
}

/**
 * uPlot options for one history chart: each figure's average as a line, its least and greatest (columns after
 * it) as a band, the x axis fixed to the span asked so that a gap at either end shows, and a drag that zooms.
 */
export function historyChartOptions(kind: ChartKind, s: HistoryChartSettings): ChartOptions {
  const p = PALETTES[s.dark ? 'dark' : 'light'];
  const spec = SPECS[kind];
  const lines = HISTORY_LINES[kind];
  const { axisBase, yAxis } = axesOf(p, spec);
  // History keeps no memory limit: the memory chart is fitted to what was used.
  const yRange: uPlot.Range.Function = kind === 'mem' ? (_u, _min, max) => [0, Math.max(KiB, (finite(max) ?? 0) * 1.1)] : spec.range;
  const series: uPlot.Series[] = [{ value: (_u, v) => (v === null ? MISSING : new Date(v * 1000).toLocaleString()) }];
  const bands: uPlot.Band[] = [];
  const hidden: number[] = [];
  for (const line of lines) {
    const avg = series.length;
    const color = line.color(p);
    series.push({
      label: line.label,
      stroke: color,
      width: 1.5,
      ...(line.dash ? { dash: line.dash } : {}),
      // A point with no neighbour draws no line: it is shown as a dot.
      points: { filter: (u, si, show) => (show ? null : nonEmpty(isolatedPoints(u.data[si] ?? []))) },
      value: (u, v, _si, idx) => {
        if (v === null || v === undefined) return MISSING;
        const lo = idx === null ? null : u.data[avg + 1]?.[idx];
        const hi = idx === null ? null : u.data[avg + 2]?.[idx];
        return s.banded && lo != null && hi != null && lo !== hi
          ? `${line.format(v)} (${line.format(lo)}–${line.format(hi)})`
          : line.format(v);
      },
    });
    for (const edge of ['least', 'greatest']) {
      hidden.push(series.length);
      series.push({
        label: `${line.label}, ${edge}`,
        stroke: 'transparent',
        width: 0,
        points: { show: false },
        value: (_u, v) => line.format(v),
      });
    }
    if (s.banded) bands.push({ series: [avg + 2, avg + 1], fill: withAlpha(color, '33') });
  }
  return {
    scales: {
      x: {
        time: true,
        range: () => {
          const { from, to } = s.span();
          return [from / 1000, to / 1000];
        },
      },
      y: { range: yRange },
    },
    series,
    bands,
    axes: [
      {
        ...axisBase,
        size: 30,
        space: 70,
        values: (u, splits) => splits.map(historyTick((u.scales['x']?.max ?? 0) - (u.scales['x']?.min ?? 0))),
      },
      yAxis,
    ],
    cursor: {
      sync: { key: s.syncKey },
      drag: { x: true, y: false, setScale: false },
      points: { size: 6 },
    },
    legend: { live: true },
    // Room for the last time label, which sits at the right edge: the span ends now, not at a round time.
    padding: [8, 20, 0, 0],
    hooks: {
      init: [
        (u) => {
          // The band's edges are read in the average's legend entry; their own rows would only crowd it.
          const rows = u.root.querySelectorAll<HTMLElement>('.u-legend .u-series');
          for (const i of hidden) rows[i]?.style.setProperty('display', 'none');
        },
      ],
      setLegend: [
        (u) => {
          const last = lastWithValue(u.data[1] ?? []);
          const away = (u.cursor.left ?? -1) < 0;
          if (away && last >= 0 && u.legend.idx !== last) u.setLegend({ idx: last }, false);
        },
      ],
      setSelect: [
        (u) => {
          const { left, width } = u.select;
          if (width < 3) return;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          s.onZoom?.(u.posToVal(left, 'x') * 1000, u.posToVal(left + width, 'x') * 1000);
        },
      ],
    },
  };
}

function nonEmpty(idxs: number[]): number[] | null {
  return idxs.length > 0 ? idxs : null;
}
