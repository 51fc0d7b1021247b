import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SPARK_HOUR_REFRESH_MS, dueKeys } from './spark-history.js';

const NOW = 1_000_000_000;

test('dueKeys: rows never asked first, then the stalest, a few at a time, none while in flight or fresh', () => {
  const fetched = new Map([
    ['fresh', NOW - 1000],
    ['old', NOW - 2 * SPARK_HOUR_REFRESH_MS],
    ['older', NOW - 3 * SPARK_HOUR_REFRESH_MS],
    ['just-due', NOW - SPARK_HOUR_REFRESH_MS],
  ]);
  const wanted = ['fresh', 'old', 'new-a', 'older', 'flying', 'just-due', 'new-b'];
  assert.deepEqual(dueKeys(wanted, fetched, new Set(['flying']), NOW, 4), ['new-a', 'new-b', 'older', 'old']);
  assert.deepEqual(dueKeys(wanted, fetched, new Set(['flying']), NOW, 10), ['new-a', 'new-b', 'older', 'old', 'just-due']);
  // Only as many as the queries in flight leave room for.
  assert.deepEqual(dueKeys(wanted, fetched, new Set(['flying', 'x']), NOW, 4, 3), ['new-a']);
  assert.deepEqual(dueKeys(wanted, fetched, new Set(['flying', 'x', 'y']), NOW, 4, 3), []);
});
