import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from './protocol.js';
import { SeriesRing, columnMax, sampleField, toColumns } from './series.js';

const ID = 'a'.repeat(64);

function sample(t: number, cpu: number | null, extra: Partial<Sample> = {}): Sample {
  return {
    host: 'h1',
    id: ID,
    t,
    cpu,
    mem: { used: 100 + t, limit: 1000, percent: 10 },
    net: { rx: 0, tx: 0, rxRate: 5, txRate: null },
    blk: { read: 0, write: 0, readRate: 0, writeRate: 0 },
    pids: 3,
    ...extra,
  };
}

test('ring keeps the newest samples in order and overwrites the oldest', () => {
  const ring = new SeriesRing(3);
  for (const t of [1000, 2000, 3000, 4000, 5000]) ring.push(sample(t, t / 100));
  assert.equal(ring.length, 3);
  assert.deepEqual(
    [0, 1, 2].map((i) => ring.timeAt(i)),
    [3000, 4000, 5000],
  );
  assert.deepEqual(
    [0, 1, 2].map((i) => ring.valueAt(i, 'cpu')),
    [30, 40, 50],
  );
  assert.equal(ring.lastT, 5000);
});

test('ring ignores samples not newer than the newest, as a resent history after a reconnect is', () => {
  const ring = new SeriesRing(10);
  ring.push(sample(1000, 1));
  ring.push(sample(2000, 2));
  assert.equal(ring.push(sample(2000, 9)), false);
  assert.equal(ring.push(sample(1500, 9)), false);
  assert.equal(ring.push(sample(3000, 3)), true);
  assert.deepEqual(
    [0, 1, 2].map((i) => ring.valueAt(i, 'cpu')),
    [1, 2, 3],
  );
});

test('ring keeps null as null and every field', () => {
  const ring = new SeriesRing(2);
  ring.push(sample(1000, null, { pids: null }));
  assert.equal(ring.valueAt(0, 'cpu'), null);
  assert.equal(ring.valueAt(0, 'pids'), null);
  assert.equal(ring.valueAt(0, 'memUsed'), 1100);
  assert.equal(ring.valueAt(0, 'memLimit'), 1000);
  assert.equal(ring.valueAt(0, 'rxRate'), 5);
  assert.equal(ring.valueAt(0, 'txRate'), null);
});

test('ring rejects a capacity that is not a positive integer', () => {
  assert.throws(() => new SeriesRing(0), RangeError);
  assert.throws(() => new SeriesRing(1.5), RangeError);
});

test('indexAtOrAfter finds the first sample in a window', () => {
  const ring = new SeriesRing(4);
  for (const t of [1000, 2000, 3000, 4000, 5000, 6000]) ring.push(sample(t, 0));
  assert.equal(ring.indexAtOrAfter(0), 0);
  assert.equal(ring.indexAtOrAfter(3000), 0);
  assert.equal(ring.indexAtOrAfter(4500), 2);
  assert.equal(ring.indexAtOrAfter(6000), 3);
  assert.equal(ring.indexAtOrAfter(7000), 4);
});

test('toColumns', async (t) => {
  const cases: {
    name: string;
    samples: Sample[];
    fromMs?: number;
    want: [number[], ...(number | null)[][]];
  }[] = [
    { name: 'empty ring', samples: [], want: [[], []] },
    {
      name: 'regular samples: no gap, x in seconds',
      samples: [sample(1000, 1), sample(2000, 2), sample(3000, 3)],
      want: [
        [1, 2, 3],
        [1, 2, 3],
      ],
    },
    {
      name: 'jitter under 1.5 intervals is no gap',
      samples: [sample(1000, 1), sample(2400, 2), sample(3300, 3)],
      want: [
        [1, 2.4, 3.3],
        [1, 2, 3],
      ],
    },
    {
      name: 'missing samples: a null point half way',
      samples: [sample(1000, 1), sample(2000, 2), sample(6000, 6), sample(7000, 7)],
      want: [
        [1, 2, 4, 6, 7],
        [1, 2, null, 6, 7],
      ],
    },
    {
      name: 'dropped samples: a gap even when the times look regular',
      samples: [sample(1000, 1), sample(2000, 2, { dropped: 3 }), sample(3000, 3)],
      want: [
        [1, 1.5, 2, 3],
        [1, null, 2, 3],
      ],
    },
    {
      name: 'a null value stays null',
      samples: [sample(1000, null), sample(2000, 2)],
      want: [
        [1, 2],
        [null, 2],
      ],
    },
    {
      name: 'window starts at fromMs; no gap before the first sample shown',
      samples: [sample(1000, 1), sample(5000, 5), sample(6000, 6)],
      fromMs: 4000,
      want: [
        [5, 6],
        [5, 6],
      ],
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const ring = new SeriesRing(16);
      for (const s of c.samples) ring.push(s);
      const opts = { fields: ['cpu'] as const, intervalMs: 1000, ...(c.fromMs === undefined ? {} : { fromMs: c.fromMs }) };
      assert.deepEqual(toColumns(ring, opts), c.want);
    });
  }
});

test('toColumns outputs the fields asked for, in order, with the gap in every column', () => {
  const ring = new SeriesRing(8);
  ring.push(sample(1000, 1));
  ring.push(sample(9000, 9));
  assert.deepEqual(toColumns(ring, { fields: ['pids', 'memUsed'], intervalMs: 1000 }), [
    [1, 5, 9],
    [3, null, 3],
    [1100, null, 9100],
  ]);
});

test('columnMax skips nulls', () => {
  assert.equal(columnMax([null, 3, 7, null, 2]), 7);
  assert.equal(columnMax([null]), undefined);
  assert.equal(columnMax([]), undefined);
});

test('a figure the engine does not report reads as no value, not as its 0', () => {
  const s = sample(1000, 12, { unreported: ['mem', 'net'] });
  assert.equal(sampleField(s, 'memUsed'), null);
  assert.equal(sampleField(s, 'memPercent'), null);
  assert.equal(sampleField(s, 'rxRate'), null);
  assert.equal(sampleField(s, 'txRate'), null);
  assert.equal(sampleField(s, 'readRate'), 0, 'block I/O is reported');
  assert.equal(sampleField(s, 'cpu'), 12);
  assert.equal(sampleField(sample(1000, 12), 'memUsed'), 1100);
});
