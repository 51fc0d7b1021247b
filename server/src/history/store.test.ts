import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryQuery, Sample } from '@dockpulse/shared';
import { Rollup } from './rollup.js';
import { HistoryStore } from './store.js';
import { answerRange, planRange, type RangeContext } from './range.js';

const ID = 'c'.repeat(64);
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

function sample(t: number, cpu: number | null, used = 1000): Sample {
  return {
    host: 'h1',
    id: ID,
    t,
    cpu,
    mem: { used, limit: 4000, percent: (used / 4000) * 100 },
    net: { rx: 0, tx: 0, rxRate: 10, txRate: null },
    blk: { read: 0, write: 0, readRate: null, writeRate: null },
    pids: 3,
  };
}

function withStore(fn: (store: HistoryStore, path: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'dockpulse-history-'));
  const path = join(dir, 'history.db');
  const store = HistoryStore.open(path);
  try {
    fn(store, path);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const describe = (): { name: string; image: string } => ({ name: 'web', image: 'img' });

test('a minute of samples rolls up into least, average, greatest and last; nulls are left out, not counted as 0', () => {
  const r = new Rollup(60);
  assert.equal(r.add(sample(T0, null)), undefined);
  r.add(sample(T0 + 1000, 10, 1000));
  r.add(sample(T0 + 2000, 30, 3000));
  const done = r.add(sample(T0 + 60_000, 50));
  assert.ok(done);
  assert.equal(done.t, T0 / 1000);
  assert.equal(done.n, 3);
  const cpu = done.figures[0]!;
  assert.deepEqual(cpu, { count: 2, sum: 40, min: 10, max: 30, last: 30 });
  assert.equal(done.figures[1]!.max, 3000);
  assert.equal(done.figures[4], undefined, 'txRate was null in every sample');
  assert.equal(r.finishBefore(T0 / 1000 + 119).length, 0, 'the next minute is still running');
  assert.equal(r.finishBefore(T0 / 1000 + 120).length, 1);
});

test('points written twice for one minute merge (a restart within a minute), and each minute adds into its hour', () => {
  withStore((store) => {
    const r = new Rollup(60);
    for (let s = 0; s < 30; s++) r.add(sample(T0 + s * 1000, 20));
    store.write(r.finishAll(), describe);
    const points = [];
    for (let s = 30; s < 120; s++) points.push(r.add(sample(T0 + s * 1000, s < 60 ? 40 : 100)));
    store.write([...points.filter((p) => p !== undefined), ...r.finishAll()], describe);
    const key = store.container('h1', ID)!.key;
    const minutes = store.query(key, 'minute', T0 / 1000, T0 / 1000 + 3600, 60, ['cpu']);
    assert.deepEqual(
      minutes.map((m) => [m.t - T0 / 1000, ...m.figures[0]!]),
      [
        [0, 30, 20, 40],
        [60, 100, 100, 100],
      ],
    );
    const hours = store.query(key, 'hour', T0 / 1000, T0 / 1000 + 3600, 3600, ['cpu', 'pids']);
    assert.deepEqual(
      hours.map((h) => h.figures),
      [
        [
          [65, 20, 100],
          [3, 3, 3],
        ],
      ],
    );
  });
});

test('history survives closing and opening the database; a removed container is found by its name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockpulse-history-'));
  try {
    const path = join(dir, 'history.db');
    let store = HistoryStore.open(path);
    const r = new Rollup(60);
    r.add(sample(T0, 12));
    store.write(r.finishAll(), describe);
    store.close();
    store = HistoryStore.open(path);
    const found = store.lookup(undefined, 'web');
    assert.equal(found.length, 1);
    assert.equal(found[0]!.id, ID);
    assert.deepEqual(
      store.lookup('h1', ID.slice(0, 12)).map((c) => c.name),
      ['web'],
    );
    assert.deepEqual(store.lookup('h2', 'web'), []);
    assert.equal(store.query(found[0]!.key, 'minute', T0 / 1000, T0 / 1000 + 60, 60, ['cpu'])[0]!.figures[0]![0], 12);
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pruning deletes what each tier no longer keeps, and containers with nothing left', () => {
  withStore((store) => {
    const r = new Rollup(60);
    r.add(sample(T0, 1));
    store.write(r.finishAll(), describe);
    const now = T0 / 1000 + 2 * 86_400;
    assert.equal(store.prune(now, { minute: 3 * 86_400, hour: 3 * 86_400 }), 0);
    store.prune(now, { minute: 86_400, hour: 3 * 86_400 });
    assert.deepEqual([store.size().minute, store.size().hour, store.size().containers], [0, 1, 1]);
    store.prune(now, { minute: 86_400, hour: 86_400 });
    assert.deepEqual([store.size().minute, store.size().hour, store.size().containers], [0, 0, 0]);
  });
});

function context(store: HistoryStore | undefined, now: number, recent: Sample[] = []): RangeContext {
  return {
    store,
    recent: (_h, _i, since) => recent.filter((s) => s.t >= since),
    intervalMs: 1000,
    historyMs: 15 * 60_000,
    keepS: { minute: 14 * 86_400, hour: 400 * 86_400 },
    now: () => now,
  };
}

test('the tier follows the span, the step asked and what each tier still keeps', () => {
  const now = T0;
  const plan = (q: HistoryQuery): unknown => {
    const p = planRange(context(undefined, now), q);
    return p.ok ? p.value : p.error.status;
  };
  const ctx = context({} as HistoryStore, now);
  const stored = (q: HistoryQuery): unknown => {
    const p = planRange(ctx, q);
    return p.ok ? p.value : p.error.message;
  };
  assert.deepEqual(plan({ from: now - 5 * 60_000, to: now }), { tier: 'raw', step: 1 });
  assert.deepEqual(plan({ from: now - 5 * 60_000, to: now, step: 10 }), { tier: 'raw', step: 10 });
  assert.equal(plan({ from: now - 3_600_000, to: now }), 503, 'no store: only the samples in memory');
  assert.deepEqual(stored({ from: now - 3_600_000, to: now }), { tier: 'minute', step: 60 });
  assert.deepEqual(stored({ from: now - 30 * 86_400_000, to: now }), { tier: 'hour', step: 3600 });
  assert.deepEqual(stored({ from: now - 7 * 86_400_000, to: now, step: 90 }), { tier: 'minute', step: 120 });
  assert.deepEqual(stored({ from: now - 86_400_000, to: now, step: 7200 }), { tier: 'hour', step: 7200 });
  assert.deepEqual(
    stored({ from: now - 13 * 86_400_000, to: now, step: 1 }),
    { tier: 'minute', step: 60 },
    'the finest kept that far back',
  );
  assert.match(
    String(stored({ from: now - 3650 * 86_400_000, to: now, step: 3600 })),
    /^87601 points is too many .*: ask a step of 6308 s or more$/,
  );
});

test('a range is dense: one entry per step from `from` to `to`, null where nothing was recorded', () => {
  withStore((store) => {
    const r = new Rollup(60);
    r.add(sample(T0, 10));
    const first = r.add(sample(T0 + 120_000, 30));
    store.write([first!, ...r.finishAll()], describe);
    const key = store.container('h1', ID)!.key;
    const got = answerRange(context(store, T0 + 3_600_000), { host: 'h1', id: ID, name: 'web' }, key, {
      from: T0 - 60_000,
      to: T0 + 180_000,
      metrics: ['cpu', 'blkRead'],
    });
    assert.ok(got.ok);
    assert.equal(got.value.tier, 'minute');
    assert.deepEqual(got.value.t, [T0 - 60_000, T0, T0 + 60_000, T0 + 120_000, T0 + 180_000]);
    assert.deepEqual(got.value.series.cpu!.avg, [null, 10, null, 30, null]);
    assert.deepEqual(got.value.series.blkRead!.max, [null, null, null, null, null], 'never reported is null, not 0');
    assert.deepEqual(Object.keys(got.value.series), ['cpu', 'blkRead']);
  });
});

test('recent windows come from the samples in memory, bucketed by the step', () => {
  const recent = [sample(T0, 10), sample(T0 + 1000, 20), sample(T0 + 2000, 60), sample(T0 + 5000, 5)];
  const got = answerRange(context(undefined, T0 + 6000, recent), { host: 'h1', id: ID, name: 'web' }, undefined, {
    from: T0,
    to: T0 + 5999,
    step: 3,
    metrics: ['cpu'],
  });
  assert.ok(got.ok);
  assert.equal(got.value.tier, 'raw');
  assert.deepEqual(got.value.series.cpu, { avg: [30, 5], min: [10, 5], max: [60, 5] });
});
