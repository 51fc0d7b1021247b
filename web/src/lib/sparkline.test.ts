import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sparklinePath } from './sparkline.js';

test('sparklinePath', () => {
  const cases: { name: string; xs: number[]; ys: (number | null)[]; want: string }[] = [
    { name: 'empty', xs: [], ys: [], want: '' },
    { name: 'a line, y up', xs: [0, 5, 10], ys: [0, 5, 10], want: 'M0 11L50 6L100 1' },
    { name: 'a gap breaks the line', xs: [0, 2, 4, 6, 8], ys: [0, 0, null, 10, 10], want: 'M0 11L20 11M60 1L80 1' },
    { name: 'a lone point is a dot', xs: [0, 2, 4], ys: [null, 5, null], want: 'M20 6h0.01' },
    { name: 'values above max are clipped', xs: [0, 10], ys: [20, -3], want: 'M0 1L100 11' },
    { name: 'points before the window are left out', xs: [-5, 0, 10], ys: [3, 0, 0], want: 'M0 11L100 11' },
  ];
  for (const c of cases) assert.equal(sparklinePath(c.xs, c.ys, 0, 10, 10, 100, 12), c.want, c.name);
});

test('sparklinePath draws nothing for an empty window or scale', () => {
  assert.equal(sparklinePath([0, 1], [1, 1], 5, 5, 10, 100, 12), '');
  assert.equal(sparklinePath([0, 1], [1, 1], 0, 1, 0, 100, 12), '');
});
