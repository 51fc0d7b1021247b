import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MISSING, formatBytes, formatCount, formatDuration, formatMemory, formatPercent, formatRate } from './format.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

test('formatBytes', () => {
  const cases: [number | null | undefined, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [512, '512 B'],
    [999, '999 B'],
    // Would print as "1000 B": moves up a unit so the figure keeps its width.
    [999.6, '0.98 KiB'],
    [1023, '1.00 KiB'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [10 * KiB, '10.0 KiB'],
    [512 * KiB, '512 KiB'],
    [1023.9 * KiB, '1.00 MiB'],
    [20.6 * MiB, '20.6 MiB'],
    [1.95 * GiB, '1.95 GiB'],
    [15.6 * GiB, '15.6 GiB'],
    [3 * 1024 * GiB, '3.00 TiB'],
    [-2048, '-2.00 KiB'],
    [null, MISSING],
    [undefined, MISSING],
    [Number.NaN, MISSING],
    [Number.POSITIVE_INFINITY, MISSING],
  ];
  for (const [input, want] of cases) assert.equal(formatBytes(input), want, `formatBytes(${input})`);
});

test('formatBytes never shows four integer digits', () => {
  for (let b = 0; b < 4 * GiB; b = Math.floor(b * 1.013) + 7) {
    const integerPart = formatBytes(b).split(/[. ]/)[0] ?? '';
    assert.ok(integerPart.length <= 3, `${b} → ${formatBytes(b)}`);
  }
});

test('formatRate', () => {
  assert.equal(formatRate(0), '0 B/s');
  assert.equal(formatRate(1536), '1.50 KiB/s');
  assert.equal(formatRate(null), MISSING);
});

test('formatPercent', () => {
  const cases: [number | null | undefined, string][] = [
    [0, '0.00%'],
    [0.034, '0.03%'],
    [-0.001, '0.00%'],
    [4.2, '4.20%'],
    [9.996, '10.0%'],
    [49.81, '49.8%'],
    [99.96, '100%'],
    [150.4, '150%'],
    [null, MISSING],
    [Number.NaN, MISSING],
  ];
  for (const [input, want] of cases) assert.equal(formatPercent(input), want, `formatPercent(${input})`);
});

test('formatCount', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(12), '12');
  assert.equal(formatCount(1024), '1,024');
  assert.equal(formatCount(null), MISSING);
});

test('formatMemory', () => {
  assert.equal(formatMemory(20.6 * MiB, 1.94 * GiB), '20.6 MiB / 1.94 GiB');
  assert.equal(formatMemory(null, null), `${MISSING} / ${MISSING}`);
});

test('formatDuration', () => {
  const cases: [number, string][] = [
    [-5, '0 s'],
    [0, '0 s'],
    [42_900, '42 s'],
    [3 * 60_000, '3 min'],
    [(2 * 60 + 5) * 60_000, '2 h 05 min'],
    [(3 * 24 + 4) * 3_600_000, '3 d 4 h'],
  ];
  for (const [input, want] of cases) assert.equal(formatDuration(input), want, `formatDuration(${input})`);
});
