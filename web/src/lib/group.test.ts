import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupByProject } from './group.js';

test('groupByProject keeps row order within groups and puts ungrouped last', () => {
  const rows = [
    { n: 'a', p: 'shop' },
    { n: 'b', p: '' },
    { n: 'c', p: 'blog' },
    { n: 'd', p: 'shop' },
    { n: 'e', p: 'app10' },
    { n: 'f', p: 'app9' },
  ];
  const got = groupByProject(rows, (r) => r.p).map((g) => [g.project, g.rows.map((r) => r.n).join('')]);
  assert.deepEqual(got, [
    ['app9', 'f'],
    ['app10', 'e'],
    ['blog', 'c'],
    ['shop', 'ad'],
    ['', 'b'],
  ]);
});

test('groupByProject of nothing is no groups', () => {
  assert.deepEqual(
    groupByProject([], () => ''),
    [],
  );
});
