import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.js';

const opts = { minDelayMs: 500, maxDelayMs: 20_000 };

test('backoff doubles per attempt up to the cap', () => {
  const highest = (attempt: number) => backoffDelay(attempt, opts, () => 1);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(highest), [500, 1000, 2000, 4000, 8000, 16_000, 20_000, 20_000]);
  assert.equal(highest(1000), 20_000);
});

test('jitter spreads each delay over its upper half', () => {
  assert.equal(
    backoffDelay(0, opts, () => 0),
    250,
  );
  assert.equal(
    backoffDelay(3, opts, () => 0),
    2000,
  );
  assert.equal(
    backoffDelay(3, opts, () => 0.5),
    3000,
  );
  assert.equal(
    backoffDelay(100, opts, () => 0),
    10_000,
  );
});
