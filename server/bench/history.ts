/**
 * What keeping history costs:
 *
 *   record  The gateway (`synthetic-gateway.ts`, current code) with N synthetic containers at 1 Hz and nobody
 *           connected, recording every one of them, against the same gateway with no history on disk
 *           (`--keep 0`), alternating in one run: the CPU of all its threads in ms per second over windows that
 *           hold at least one minute's writes, and the difference.
 *   disk    Bytes per container-day: a day of minute points (and their hour points) of N containers written
 *           through the store as the recorder writes them, with figures as varied as the synthetic ones, and
 *           the database's size after.
 *   query   A 30-day query at one point a minute (43,200 points, every figure), p50 and p99 over repeated
 *           queries, against a store holding 30 days of 20 containers.
 *
 *   pnpm bench:history [--parts record,disk,query] [--containers 200,1000] [--rounds 3] [--window 70] [--warmup 20]
 *        [--queries 50]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HISTORY_METRICS } from '@dockpulse/shared';
import { answerRange } from '../src/history/range.js';
import { Rollup, type Point } from '../src/history/rollup.js';
import { HistoryStore } from '../src/history/store.js';
import { cpuDelta, cpuOf, median } from './proc-cpu.js';
import { cell, flags, machine, sleep, startServer, writeResults } from './fanout-harness.js';
import { newCounters, syntheticIds, syntheticSample } from './synthetic-sources.js';

const opts = flags({ parts: 'record,disk,query', containers: '200,1000', rounds: '3', window: '70', warmup: '20', queries: '50' });
const parts = new Set(opts.get('parts')!.split(','));
const sizes = opts.get('containers')!.split(',').map(Number);
const rounds = Number(opts.get('rounds'));
const windowMs = Number(opts.get('window')) * 1000;
const warmupMs = Number(opts.get('warmup')) * 1000;
const results: Record<string, unknown> = { machine: machine(), options: Object.fromEntries(opts) };

/** `minutes` minute points of each of `ids`, from synthetic samples one a second, in the order the recorder writes them. */
function* minutesOf(ids: readonly string[], startMs: number, minutes: number): Generator<Point[]> {
  const counters = ids.map(() => newCounters(startMs));
  const rollup = new Rollup(60);
  for (let m = 0; m < minutes; m++) {
    const finished: Point[] = [];
    for (let s = 0; s < 60; s++) {
      const t = startMs + (m * 60 + s) * 1000;
      ids.forEach((id, i) => {
        const done = rollup.add(syntheticSample(id, counters[i]!, t, 'bench'));
        if (done) finished.push(done);
      });
    }
    yield finished;
  }
}

const describe = (_host: string, id: string): { name: string; image: string } => ({
  name: `synthetic-${id.slice(0, 6)}`,
  image: 'synthetic/bench:latest',
});

if (parts.has('record')) {
  const rows = [];
  for (const containers of sizes) {
    const cpu: Record<'recording' | 'none', number[]> = { recording: [], none: [] };
    for (let r = 0; r < rounds; r++) {
      for (const phase of r % 2 === 0 ? (['recording', 'none'] as const) : (['none', 'recording'] as const)) {
        const gateway = await startServer('dockpulse', containers, { args: phase === 'none' ? ['--keep', '0'] : [] });
        try {
          await sleep(warmupMs);
          const before = cpuOf([gateway.pid]);
          await sleep(windowMs);
          cpu[phase].push(cpuDelta(before, cpuOf([gateway.pid])) / (windowMs / 1000));
        } finally {
          await gateway.stop();
        }
      }
    }
    const row = {
      containers,
      recordingMsPerS: median(cpu.recording),
      noneMsPerS: median(cpu.none),
      addedMsPerS: median(cpu.recording) - median(cpu.none),
      rounds: cpu,
    };
    rows.push(row);
    console.log(
      `record ${cell(containers, 0, 5)} containers: ${cell(row.recordingMsPerS, 1)} ms/s recording, ${cell(row.noneMsPerS, 1)} ms/s without, ` +
        `${cell(row.addedMsPerS, 1)} ms/s added (${cell((row.addedMsPerS / containers) * 1000, 1)} µs per container-second)`,
    );
  }
  results['record'] = rows;
}

if (parts.has('disk')) {
  const rows = [];
  for (const containers of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'dockpulse-bench-history-'));
    try {
      const path = join(dir, 'history.db');
      const store = HistoryStore.open(path);
      const ids = syntheticIds(containers);
      const start = Date.UTC(2026, 0, 1);
      let writeMs = 0;
      for (const points of minutesOf(ids, start, 1440)) {
        const t0 = performance.now();
        store.write(points, describe);
        writeMs += performance.now() - t0;
      }
      const size = store.size();
      store.close();
      const onDisk = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
      const row = {
        containers,
        bytesPerContainerDay: size.bytes / containers,
        fileBytesPerContainerDay: onDisk / containers,
        minuteRows: size.minute,
        hourRows: size.hour,
        writeMsPerMinute: writeMs / 1440,
      };
      rows.push(row);
      console.log(
        `disk   ${cell(containers, 0, 5)} containers: ${cell(row.bytesPerContainerDay / 1024, 1)} KiB per container-day ` +
          `(${row.minuteRows} minute rows, ${row.hourRows} hour rows); writing a minute's points took ${cell(row.writeMsPerMinute, 2)} ms`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  results['disk'] = rows;
}

if (parts.has('query')) {
  const dir = mkdtempSync(join(tmpdir(), 'dockpulse-bench-history-'));
  try {
    const store = HistoryStore.open(join(dir, 'history.db'));
    const ids = syntheticIds(20);
    const days = 30;
    const now = Date.UTC(2026, 0, 1) + days * 86_400_000;
    for (const points of minutesOf(ids, now - days * 86_400_000, days * 1440)) store.write(points, describe);
    const key = store.container('bench', ids[0]!)!.key;
    const ctx = {
      store,
      recent: () => [],
      intervalMs: 1000,
      historyMs: 15 * 60_000,
      keepS: { minute: 31 * 86_400, hour: 400 * 86_400 },
      now: () => now,
    };
    const times: number[] = [];
    let points = 0;
    let bytes = 0;
    for (let i = 0; i < Number(opts.get('queries')); i++) {
      const t0 = performance.now();
      const r = answerRange(ctx, { host: 'bench', id: ids[0]!, name: 'x' }, key, { from: now - days * 86_400_000, to: now, step: 60 });
      const body = JSON.stringify(r.ok ? r.value : r.error);
      times.push(performance.now() - t0);
      if (!r.ok) throw new Error(r.error.message);
      points = r.value.t.length;
      bytes = Buffer.byteLength(body);
    }
    store.close();
    times.sort((a, b) => a - b);
    const row = {
      points,
      metrics: HISTORY_METRICS.length,
      bytes,
      p50Ms: times[Math.floor(times.length * 0.5)]!,
      p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!,
    };
    results['query'] = row;
    console.log(
      `query  30 days at 1 min: ${row.points} points × ${row.metrics} figures, ${cell(row.bytes / 1e6, 1)} MB of JSON; ` +
        `p50 ${cell(row.p50Ms, 1)} ms, p99 ${cell(row.p99Ms, 1)} ms (query and serialization)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

writeResults('history', results);
