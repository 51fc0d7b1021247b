import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryRange } from '@dockpulse/shared';
import { bandColumns, countValues, isolatedPoints, lastWithValue, summarize } from './history-series.js';

/** Four minute points with the gateway down for the third: a gap, not a 0. */
const RANGE: HistoryRange = {
  container: { host: 'local', id: 'a'.repeat(64), name: 'web-1' },
  tier: 'minute',
  step: 60,
  t: [60_000, 120_000, 180_000, 240_000],
  series: {
    cpu: { avg: [50, 52, null, 0], min: [40, 48, null, 0], max: [60, 90, null, 0] },
    netRx: { avg: [1, 2, null, 3], min: [0, 1, null, 3], max: [2, 3, null, 3] },
  },
};

test('bandColumns: x in seconds, then average, least and greatest of each figure, nulls kept', () => {
  assert.deepEqual(bandColumns(RANGE, ['cpu']), [
    [60, 120, 180, 240],
    [50, 52, null, 0],
    [40, 48, null, 0],
    [60, 90, null, 0],
  ]);
  const net = bandColumns(RANGE, ['netRx', 'netTx']);
  assert.equal(net.length, 7);
  assert.deepEqual(net[1], [1, 2, null, 3]);
  // A figure the answer lacks is a gap over the whole span.
  assert.deepEqual(net[4], [null, null, null, null]);
  assert.deepEqual(net[6], [null, null, null, null]);
});

test('isolatedPoints: the points a line cannot show, with gaps on both sides', () => {
  const cases: [(number | null)[], number[]][] = [
    [[], []],
    [[1], [0]],
    [[1, 2], []],
    [[null, 1, null], [1]],
    [
      [1, null, 2, 3, null, 4],
      [0, 5],
    ],
    // 0 is a value, not a gap.
    [
      [0, null, 0],
      [0, 2],
    ],
  ];
  for (const [col, want] of cases) assert.deepEqual(isolatedPoints(col), want, JSON.stringify(col));
});

test('lastWithValue and countValues skip gaps, and count 0', () => {
  assert.equal(lastWithValue([1, 2, null, null]), 1);
  assert.equal(lastWithValue([null, null]), -1);
  assert.equal(countValues([0, null, 3, null]), 2);
});

test('summarize: the mean of the averages and the greatest of the peaks, over the points there are', () => {
  assert.deepEqual(summarize(RANGE, 'cpu'), { avg: 34, max: 90 });
  assert.deepEqual(summarize(RANGE, 'pids'), { avg: null, max: null });
});
