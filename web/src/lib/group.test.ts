import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupRows, groupingParam, parseGrouping, type Grouping } from './group.js';

/** Rows as `name@host:project`, in sorted order. */
const ROWS = ['a@edge:shop', 'b@core:', 'c@edge10:blog', 'd@edge2:shop', 'e@core:app10', 'f@edge:app9'].map((label) => {
  const [name = '', rest = ''] = label.split('@');
  const [host = '', project = ''] = rest.split(':');
  return { name, host, project };
});

test('groupRows keeps row order within groups, orders groups by key, and puts the empty key last', () => {
  const cases: { by: 'project' | 'host'; want: [string, string][] }[] = [
    {
      by: 'project',
      want: [
        ['app9', 'f'],
        ['app10', 'e'],
        ['blog', 'c'],
        ['shop', 'ad'],
        ['', 'b'],
      ],
    },
    {
      by: 'host',
      want: [
        ['core', 'be'],
        ['edge', 'af'],
        ['edge2', 'd'],
        ['edge10', 'c'],
      ],
    },
  ];
  for (const c of cases) {
    const got = groupRows(ROWS, (r) => r[c.by]).map((g) => [g.key, g.rows.map((r) => r.name).join('')]);
    assert.deepEqual(got, c.want, c.by);
  }
});

test('groupRows of nothing is no groups', () => {
  assert.deepEqual(
    groupRows([], () => ''),
    [],
  );
});

test('?group= values: the first addresses\' "1" still means by project', () => {
  const cases: [string | null, Grouping, string | null][] = [
    [null, 'none', null],
    ['', 'none', null],
    ['0', 'none', null],
    ['1', 'project', '1'],
    ['project', 'project', '1'],
    ['host', 'host', 'host'],
    ['HOST', 'none', null],
  ];
  for (const [value, grouping, param] of cases) {
    assert.equal(parseGrouping(value), grouping, String(value));
    assert.equal(groupingParam(parseGrouping(value)), param, String(value));
  }
});
