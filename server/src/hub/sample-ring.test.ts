import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '@dockpulse/shared';
import { SampleRing } from './sample-ring.js';

const ID = 'c'.repeat(64);

function sample(t: number, nulls = false): Sample {
  return {
    host: 'h1',
    id: ID,
    t,
    cpu: nulls ? null : t / 7,
    ...(nulls ? {} : { cpuTime: t * 0.5 }),
    mem: { used: 1000 + t, limit: 2 ** 34, percent: nulls ? null : 0.125, ...(nulls ? {} : { charged: 5000 + t }) },
    net: { rx: 10 * t, tx: 20 * t, rxRate: nulls ? null : 1.5, txRate: 0 },
    blk: { read: 30 * t, write: 2 ** 40 + t, readRate: nulls ? null : 0, writeRate: 4096.25 },
    pids: nulls ? null : 3,
  };
}

test('a sample comes back exactly as it went in, nulls and absent counters included', () => {
  const ring = new SampleRing(4, 'h1', ID);
  const kept = [sample(1), sample(2, true), { ...sample(3), unreported: ['mem' as const, 'net' as const] }];
  for (const s of kept) ring.push(s);
  assert.deepEqual(ring.samples(-Infinity), kept);
  assert.deepEqual(ring.newest(), kept[2]);
  assert.equal(ring.lastT, 3);
});

test('the oldest is overwritten past the capacity, while growing and once full', () => {
  // Below, at and past one chunk of slots, and a capacity that is not a whole number of chunks.
  for (const capacity of [1, 3, 16, 40, 64, 65, 130, 900]) {
    const ring = new SampleRing(capacity, 'h1', ID);
    for (let t = 1; t <= 2000; t++) {
      ring.push(sample(t));
      if (![1, 63, 64, 65, 128, 129, 130, 131, 899, 900, 901, 2000].includes(t)) continue;
      const kept = Math.min(t, capacity);
      const want = Array.from({ length: kept }, (_, i) => t + 1 - kept + i);
      assert.deepEqual(
        ring.samples(-Infinity).map((s) => s.t),
        want,
        `capacity ${capacity}, ${t} pushed`,
      );
      assert.equal(ring.size, kept);
      assert.equal(ring.lastT, t);
      assert.equal(ring.newest()?.t, t);
    }
  }
});

test('a window from a time, less the newest samples', () => {
  const ring = new SampleRing(10, 'h1', ID);
  for (let t = 1; t <= 8; t++) ring.push(sample(t));
  assert.deepEqual(
    ring.samples(5).map((s) => s.t),
    [5, 6, 7, 8],
  );
  assert.deepEqual(
    ring.samples(5, 2).map((s) => s.t),
    [5, 6],
  );
  assert.deepEqual(ring.samples(-Infinity, 8), []);
  ring.clear();
  assert.equal(ring.newest(), undefined);
  assert.equal(ring.lastT, undefined);
});
