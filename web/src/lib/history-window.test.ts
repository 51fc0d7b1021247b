import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CHART_POINTS, MIN_ZOOM_MS, formatStep, stepFor, zoomSpan } from './history-window.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('stepFor: the smallest round step that keeps a span within the chart’s points', () => {
  const cases: [what: string, spanMs: number, step: number][] = [
    ['a zoom of 10 min: every sample', 10 * MIN, 1],
    ['the 15 min the gateway keeps in memory', 15 * MIN, 1],
    ['1 h: the gateway rounds 5 s up to its minute points', HOUR, 5],
    ['6 h', 6 * HOUR, 30],
    ['24 h', DAY, 120],
    ['7 d', 7 * DAY, 900],
    ['30 d: hour points', 30 * DAY, 3600],
    ['a year', 365 * DAY, 43_200],
    ['ten years: whole days beyond the table', 3650 * DAY, 4 * 86_400],
  ];
  for (const [what, span, step] of cases) {
    assert.equal(stepFor(span), step, what);
    assert.ok(span / 1000 / stepFor(span) + 1 <= MAX_CHART_POINTS, `${what}: within the points`);
  }
});

test('zoomSpan: a drag in either direction, widened to a minute at least; a click zooms nothing', () => {
  assert.deepEqual(zoomSpan(1_000_000, 5_000_000), { from: 1_000_000, to: 5_000_000 });
  assert.deepEqual(zoomSpan(5_000_000, 1_000_000), { from: 1_000_000, to: 5_000_000 });
  assert.deepEqual(zoomSpan(1_000_000, 1_010_000), { from: 1_005_000 - MIN_ZOOM_MS / 2, to: 1_005_000 + MIN_ZOOM_MS / 2 });
  assert.equal(zoomSpan(1_000_000, 1_000_000), undefined);
  assert.equal(zoomSpan(Number.NaN, 1), undefined);
});

test('formatStep', () => {
  assert.deepEqual([1, 30, 60, 900, 3600, 7200, 86_400, 90].map(formatStep), [
    '1 s',
    '30 s',
    '1 min',
    '15 min',
    '1 h',
    '2 h',
    '1 d',
    '90 s',
  ]);
});
