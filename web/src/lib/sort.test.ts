import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '@dockpulse/shared';
import { NO_KEYS, SortSmoother, compareRows, ewma, settle, sortRows, type SortableRow } from './sort.js';

function sample(t: number, cpu: number | null, used = 1 << 20): Sample {
  return {
    host: 'h1',
    id: 'x'.repeat(64),
    t,
    cpu,
    mem: { used, limit: 1 << 30, percent: null },
    net: { rx: 0, tx: 0, rxRate: 100, txRate: 50 },
    blk: { read: 0, write: 0, readRate: null, writeRate: null },
    pids: 2,
  };
}

function row(name: string, keys: Partial<SortableRow['keys']> = {}, extra: Partial<SortableRow> = {}): SortableRow {
  return { id: name, host: 'h1', name, image: 'img', project: '', stateRank: 0, keys: { ...NO_KEYS, ...keys }, ...extra };
}

test('ewma', () => {
  const cases: [number | null, number | null, number, number, number | null][] = [
    [null, 5, 1000, 8000, 5],
    [5, null, 1000, 8000, 5],
    [null, null, 1000, 8000, null],
    [0, 10, 0, 8000, 0],
    [0, 10, 8000, 8000, 10 * (1 - Math.exp(-1))],
  ];
  for (const [prev, value, dt, tau, want] of cases) {
    const got = ewma(prev, value, dt, tau);
    if (want === null) assert.equal(got, null);
    else assert.ok(Math.abs((got ?? Number.NaN) - want) < 1e-9, `ewma(${prev}, ${value}) = ${got}, want ${want}`);
  }
});

test('settle holds the key inside the dead band and follows outside it', () => {
  const band = { absolute: 0.5, relative: 0.1 };
  const cases: [number | null, number | null, number | null][] = [
    [null, 3, 3],
    [3, null, null],
    [10, 10.4, 10], // inside both
    [10, 10.9, 10], // over absolute, inside relative
    [0.1, 0.5, 0.1], // over relative, inside absolute
    [10, 11.5, 11.5],
    [10, 8.5, 8.5],
  ];
  for (const [key, value, want] of cases) assert.equal(settle(key, value, band), want, `settle(${key}, ${value})`);
});

test('smoother: an idle container with jittery readings keeps its key', () => {
  const s = new SortSmoother();
  assert.equal(s.update(sample(0, 0.02)), true);
  const first = s.keys;
  const jitter = [0.05, 0.01, 0.3, 0.0, 0.12, 0.04, 0.2, 0.02];
  jitter.forEach((cpu, i) => s.update(sample((i + 1) * 1000, cpu)));
  assert.equal(s.keys, first, 'keys object unchanged, so nothing re-sorts');
});

test('smoother: a container whose load clearly rises gets a higher key within seconds', () => {
  const s = new SortSmoother();
  s.update(sample(0, 1));
  let seconds = 0;
  while ((s.keys.cpu ?? 0) < 25 && seconds < 60) s.update(sample(++seconds * 1000, 50));
  assert.ok(seconds <= 10, `took ${seconds} s`);
});

test('smoother: null readings leave the key; reset empties it', () => {
  const s = new SortSmoother();
  s.update(sample(0, 40));
  s.update(sample(1000, null));
  assert.equal(s.keys.cpu, 40);
  s.reset();
  assert.equal(s.keys.cpu, null);
});

test('smoother: net and blk sum both directions; all-null stays null', () => {
  const s = new SortSmoother();
  s.update(sample(0, 1));
  assert.equal(s.keys.net, 150);
  assert.equal(s.keys.blk, null);
  assert.equal(s.keys.mem, 1 << 20);
  assert.equal(s.keys.pids, 2);
});

test('sortRows by a numeric column, both directions, with empty values last', () => {
  const rows = [row('a', { cpu: 5 }), row('b', { cpu: null }), row('c', { cpu: 50 }), row('d', { cpu: 0.1 })];
  assert.deepEqual(
    sortRows(rows, 'cpu', 'desc').map((r) => r.name),
    ['c', 'a', 'd', 'b'],
  );
  assert.deepEqual(
    sortRows(rows, 'cpu', 'asc').map((r) => r.name),
    ['d', 'a', 'c', 'b'],
  );
});

test('sortRows breaks ties by name so equal keys keep one order', () => {
  const rows = [row('web-10', { mem: 7 }), row('web-2', { mem: 7 }), row('db', { mem: 7 })];
  assert.deepEqual(
    sortRows(rows, 'mem', 'desc').map((r) => r.name),
    ['db', 'web-2', 'web-10'],
  );
  assert.deepEqual(
    sortRows(rows, 'mem', 'asc').map((r) => r.name),
    ['db', 'web-2', 'web-10'],
  );
});

test('sortRows by name is natural and case-insensitive', () => {
  const rows = [row('web-10'), row('Api'), row('web-9')];
  assert.deepEqual(
    sortRows(rows, 'name', 'asc').map((r) => r.name),
    ['Api', 'web-9', 'web-10'],
  );
  assert.deepEqual(
    sortRows(rows, 'name', 'desc').map((r) => r.name),
    ['web-10', 'web-9', 'Api'],
  );
});

test('sortRows by project puts containers outside compose last', () => {
  const rows = [row('x'), row('y', {}, { project: 'shop/web' }), row('z', {}, { project: 'blog/db' })];
  assert.deepEqual(
    sortRows(rows, 'project', 'asc').map((r) => r.name),
    ['z', 'y', 'x'],
  );
  assert.deepEqual(
    sortRows(rows, 'project', 'desc').map((r) => r.name),
    ['y', 'z', 'x'],
  );
});

test('sortRows by host, then by name; the same name on two hosts sorts by host', () => {
  const cases: { column: 'host' | 'name'; dir: 'asc' | 'desc'; want: string[] }[] = [
    { column: 'host', dir: 'asc', want: ['web@core', 'db@edge2', 'web@edge2', 'db@edge10', 'web@edge10'] },
    // Ties within a host stay A–Z either way, as in every column.
    { column: 'host', dir: 'desc', want: ['db@edge10', 'web@edge10', 'db@edge2', 'web@edge2', 'web@core'] },
    { column: 'name', dir: 'asc', want: ['db@edge2', 'db@edge10', 'web@core', 'web@edge2', 'web@edge10'] },
    { column: 'name', dir: 'desc', want: ['web@edge10', 'web@edge2', 'web@core', 'db@edge10', 'db@edge2'] },
  ];
  const rows = ['web@edge10', 'db@edge2', 'web@core', 'db@edge10', 'web@edge2'].map((label) => {
    const [name = '', host = ''] = label.split('@');
    return row(name, {}, { id: label, host });
  });
  for (const c of cases) {
    assert.deepEqual(
      sortRows(rows, c.column, c.dir).map((r) => r.id),
      c.want,
      `${c.column} ${c.dir}`,
    );
  }
});

test('sortRows by state rank', () => {
  const rows = [row('s', {}, { stateRank: 6 }), row('r', {}, { stateRank: 0 }), row('p', {}, { stateRank: 3 })];
  assert.deepEqual(
    sortRows(rows, 'state', 'asc').map((r) => r.name),
    ['r', 'p', 's'],
  );
});

test('compareRows is antisymmetric over a mixed set', () => {
  const rows = [row('a', { cpu: 1 }), row('b', { cpu: null }), row('c', { cpu: 1 }), row('d', { cpu: 3 })];
  for (const x of rows) {
    for (const y of rows) {
      assert.equal(Math.sign(compareRows(x, y, 'cpu', 'desc')), -Math.sign(compareRows(y, x, 'cpu', 'desc')) || 0);
    }
  }
});
