import { test } from 'node:test';
import assert from 'node:assert/strict';
import type uPlot from 'uplot';
import { chartOptions, type ChartSettings } from './chart-options.js';

const MiB = 2 ** 20;
/** `MemTotal: 24683656 kB`, captured from a host: what a container without a limit reports as its limit. */
const HOST = 24_683_656 * 1024;

/** The top of the memory chart's y axis for one sample of `used` bytes against `limit`. */
function memoryTop(settings: Partial<ChartSettings>, used: number, limit: number): number {
  const options = chartOptions('mem', { dark: false, windowMs: 60_000, syncKey: 'k', ...settings });
  const range = options.scales?.['y']?.range as uPlot.Range.Function;
  const u = { data: [[1], [used], [limit]] } as unknown as uPlot;
  return range(u, 0, Math.max(used, limit), 'y')[1] ?? Number.NaN;
}

test('the memory chart fits usage without a limit, and scales to the limit with one, unless the person chose', () => {
  const cases: { what: string; settings: Partial<ChartSettings>; used: number; limit: number; top: number }[] = [
    {
      what: 'no limit: fitted to usage, not drawn against the host',
      settings: { memoryLimited: false },
      used: 20 * MiB,
      limit: HOST,
      top: 24 * MiB,
    },
    { what: 'a limit: scaled to it', settings: { memoryLimited: true }, used: 20 * MiB, limit: 256 * MiB, top: 256 * MiB },
    { what: 'not known yet: the limit', settings: {}, used: 20 * MiB, limit: 256 * MiB, top: 256 * MiB },
    {
      what: 'no limit, but the limit chosen',
      settings: { memoryLimited: false, memoryScale: 'limit' },
      used: 20 * MiB,
      limit: HOST,
      top: HOST,
    },
    {
      what: 'a limit, but usage chosen',
      settings: { memoryLimited: true, memoryScale: 'usage' },
      used: 20 * MiB,
      limit: 256 * MiB,
      top: 24 * MiB,
    },
  ];
  for (const c of cases) assert.equal(memoryTop(c.settings, c.used, c.limit), c.top, c.what);
});
