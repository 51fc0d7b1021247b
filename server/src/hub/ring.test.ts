import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from './ring.js';

test('keeps the newest items in order once full', () => {
  const cases: { capacity: number; pushed: number[]; want: number[] }[] = [
    { capacity: 3, pushed: [], want: [] },
    { capacity: 3, pushed: [1, 2], want: [1, 2] },
    { capacity: 3, pushed: [1, 2, 3], want: [1, 2, 3] },
    { capacity: 3, pushed: [1, 2, 3, 4, 5], want: [3, 4, 5] },
    { capacity: 1, pushed: [1, 2], want: [2] },
  ];
  for (const c of cases) {
    const ring = new Ring<number>(c.capacity);
    for (const x of c.pushed) ring.push(x);
    assert.deepEqual(ring.toArray(), c.want, JSON.stringify(c));
    assert.equal(ring.size, c.want.length);
  }
});

test('clear empties it', () => {
  const ring = new Ring<string>(2);
  ring.push('a');
  ring.clear();
  assert.deepEqual(ring.toArray(), []);
});

test('refuses a capacity that is not a positive integer', () => {
  assert.throws(() => new Ring(0), RangeError);
  assert.throws(() => new Ring(1.5), RangeError);
});
