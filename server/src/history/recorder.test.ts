import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '@dockpulse/shared';
import { silentLogger } from '../log.js';
import { Recorder } from './recorder.js';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

function sample(id: string, t: number): Sample {
  return {
    host: 'h1',
    id,
    t,
    cpu: 5,
    mem: { used: 10, limit: 100, percent: 10 },
    net: { rx: 0, tx: 0, rxRate: 0, txRate: 0 },
    blk: { read: 0, write: 0, readRate: 0, writeRate: 0 },
    pids: 1,
  };
}

test('finished minutes are written in one batch; a failed write is kept, counted, and written next time', () => {
  let now = T0;
  let failing = true;
  const batches: [string, number][][] = [];
  const names: string[] = [];
  let emit: (s: Sample) => void = () => {};
  const recorder = new Recorder({
    store: {
      write: (points, describe) => {
        if (failing) throw new Error('SQLITE_READONLY: attempt to write a readonly database');
        batches.push(points.map((p): [string, number] => [p.id, p.n]));
        for (const p of points) names.push(describe(p.host, p.id).name);
      },
      prune: () => 0,
    },
    onSample: (listener) => {
      emit = listener;
      return () => (emit = () => {});
    },
    describe: (_h, id) => (id === 'a' ? { name: 'web', image: 'i' } : undefined),
    keepS: { minute: 86_400, hour: 86_400 },
    log: silentLogger,
    now: () => now,
  });
  recorder.start();
  try {
    for (let s = 0; s < 60; s++) {
      emit(sample('a', T0 + s * 1000));
      emit(sample('b', T0 + s * 1000));
    }
    now = T0 + 61_000;
    recorder.flush();
    assert.deepEqual(batches, [], 'the minute is not over until a few seconds after its end');
    now = T0 + 64_000;
    recorder.flush();
    assert.deepEqual(recorder.stats, { written: 0, failed: 1, dropped: 0, pending: 2 });
    failing = false;
    recorder.flush();
    assert.equal(batches.length, 1);
    assert.deepEqual(batches[0], [
      ['a', 60],
      ['b', 60],
    ]);
    assert.deepEqual(names, ['web', 'b'.slice(0, 12)], 'a container no longer listed is named by its short id');
    assert.deepEqual(recorder.stats, { written: 2, failed: 1, dropped: 0, pending: 0 });
    emit(sample('a', T0 + 70_000));
  } finally {
    recorder.stop();
  }
  assert.deepEqual(batches[1], [['a', 1]], 'a recorder that stops writes the minute it was filling');
  emit(sample('a', T0 + 71_000));
  recorder.flush();
  assert.equal(batches.length, 2, 'nothing is recorded after stop');
});

test('many points are written a chunk at a time, each on its own turn of the event loop', async () => {
  const now = T0 + 64_000;
  const batches: number[] = [];
  let emit: (s: Sample) => void = () => {};
  const recorder = new Recorder({
    store: { write: (points) => void batches.push(points.length), prune: () => 0 },
    onSample: (listener) => {
      emit = listener;
      return () => {};
    },
    describe: () => undefined,
    keepS: { minute: 86_400, hour: 86_400 },
    log: silentLogger,
    now: () => now,
  });
  recorder.start();
  for (let i = 0; i < 450; i++) emit(sample(`c${i}`, T0));
  recorder.flush();
  assert.deepEqual(batches, [200], 'one chunk at once');
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(batches, [200, 200, 50]);
  assert.equal(recorder.stats.written, 450);
  recorder.stop();
});

test('the recorder wakes once a minute, a few seconds after it ends, and every few seconds only while writing fails', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 + 20_000 });
  let failing = false;
  const writes: { at: number; failed: boolean }[] = [];
  let emit: (s: Sample) => void = () => {};
  const recorder = new Recorder({
    store: {
      write: () => {
        writes.push({ at: Date.now() - T0, failed: failing });
        if (failing) throw new Error('SQLITE_FULL: database or disk is full');
      },
      prune: () => 0,
    },
    onSample: (listener) => {
      emit = listener;
      return () => (emit = () => {});
    },
    describe: () => ({ name: 'web', image: 'i' }),
    keepS: { minute: 86_400, hour: 86_400 },
    log: silentLogger,
  });
  recorder.start();
  try {
    // A sample every second for three minutes, in 100 ms steps of the clock.
    const run = (untilMs: number): void => {
      while (Date.now() - T0 < untilMs) {
        mock.timers.tick(100);
        if ((Date.now() - T0) % 1000 === 0) emit(sample('a', Date.now()));
      }
    };
    run(180_000);
    assert.deepEqual(
      writes.map((w) => w.at),
      [63_100, 123_100],
      'each minute written 3.1 s after its end, and no write in between',
    );
    failing = true;
    run(190_000);
    failing = false;
    run(260_000);
    assert.deepEqual(
      writes.slice(2).map((w) => [w.at, w.failed]),
      [
        [183_100, true],
        [188_100, true],
        [193_100, false],
        [243_100, false],
      ],
      'retried every 5 s until written, then once a minute again',
    );
  } finally {
    recorder.stop();
    mock.timers.reset();
  }
});
