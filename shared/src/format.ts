/**
 * Human formatting of the numbers dockpulse shows. The dashboard, its chart axes and any embedder use these
 * helpers so that a figure reads the same everywhere. Binary units (KiB = 1024 B), as `docker stats` uses.
 */

/** What a missing value (no sample yet, first sample after a gap, not reported) shows as. */
export const MISSING = '—';

/** What a figure the engine does not report reads as (a rootless Podman's network, for one): never 0. */
export const NOT_REPORTED = 'not reported';

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

function isNumber(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/**
 * Three significant digits at most, and never four integer digits: a value that would round to 1000 moves to
 * the next unit, so the text of a live figure stays within a fixed width (`999 KiB` → `0.98 MiB`).
 */
function scaled(value: number, base: number, units: readonly string[]): string {
  const sign = value < 0 ? '-' : '';
  let v = Math.abs(value);
  let unit = 0;
  while (v >= base && unit < units.length - 1) {
    v /= base;
    unit++;
  }
  // 999.6 B would round to "1000 B"; step up so the integer part keeps at most three digits.
  if (v >= 999.5 && unit < units.length - 1) {
    v /= base;
    unit++;
  }
  let digits: number;
  if (unit === 0) digits = 0;
  else if (v < 9.995) digits = 2;
  else if (v < 99.95) digits = 1;
  else digits = 0;
  return `${sign}${v.toFixed(digits)} ${units[unit]}`;
}

/** Bytes in binary units: `512 B`, `1.50 KiB`, `20.6 MiB`, `1.95 GiB`; `—` for null. */
export function formatBytes(bytes: number | null | undefined): string {
  if (!isNumber(bytes)) return MISSING;
  return scaled(bytes, 1024, BYTE_UNITS);
}

/** A byte rate: `formatBytes` per second, `—` for null (no previous sample to take a rate from). */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (!isNumber(bytesPerSecond)) return MISSING;
  return `${formatBytes(bytesPerSecond)}/s`;
}

/**
 * A percentage with precision that follows its size: `0.03%`, `4.20%`, `49.8%`, `150%`. CPU percentages are
 * of one core, so they pass 100 on multi-core containers.
 */
export function formatPercent(percent: number | null | undefined): string {
  if (!isNumber(percent)) return MISSING;
  const a = Math.abs(percent);
  let digits: number;
  if (a < 9.995) digits = 2;
  else if (a < 99.95) digits = 1;
  else digits = 0;
  // toFixed(2) of -0.001 is "-0.00"; a rounding artefact is not a negative reading.
  const text = percent.toFixed(digits);
  return `${/^-0\.?0*$/.test(text) ? text.slice(1) : text}%`;
}

// One formatter for all calls: `toLocaleString` builds a new one each time, which at a few thousand figures
// a second was the dashboard's single most expensive function.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A whole count such as PIDs: `12`, `1,024`; `—` for null. */
export function formatCount(n: number | null | undefined): string {
  if (!isNumber(n)) return MISSING;
  return n < 1000 && n > -1000 ? String(Math.round(n)) : COUNT.format(Math.round(n));
}

/** Memory as `used / limit`: `20.6 MiB / 1.94 GiB`. */
export function formatMemory(used: number | null | undefined, limit: number | null | undefined): string {
  return `${formatBytes(used)} / ${formatBytes(limit)}`;
}

/** A short duration: `0 s`, `42 s`, `3 min`, `2 h 05 min`, `3 d 4 h`. Negative durations read as `0 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (!isNumber(ms)) return MISSING;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
