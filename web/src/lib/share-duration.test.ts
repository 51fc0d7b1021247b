import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ttlSeconds, type DurationChoice, type DurationUnit } from './share-duration.js';

test('ttlSeconds', () => {
  const cases: [DurationChoice, number, DurationUnit, number | 'error'][] = [
    ['1h', 0, 'minutes', 3600],
    ['1d', 0, 'minutes', 86_400],
    ['7d', 0, 'minutes', 604_800],
    ['custom', 1, 'minutes', 60],
    ['custom', 90, 'minutes', 5400],
    ['custom', 1.5, 'hours', 5400],
    ['custom', 30, 'days', 2_592_000],
    ['custom', 31, 'days', 'error'],
    ['custom', 0.5, 'minutes', 'error'],
    ['custom', 0, 'hours', 'error'],
    ['custom', -1, 'hours', 'error'],
    ['custom', Number.NaN, 'hours', 'error'],
  ];
  for (const [choice, amount, unit, want] of cases) {
    const r = ttlSeconds(choice, amount, unit);
    if (want === 'error') assert.equal(r.ok, false, `${choice} ${amount} ${unit}`);
    else assert.deepEqual(r, { ok: true, value: want }, `${choice} ${amount} ${unit}`);
  }
});
