import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseEngineStats } from './engine-stats.js';
import type { EngineReading } from './engine-stats.js';
import { toSample } from './sample.js';

const ID = 'a'.repeat(64);

function reading(file: string): EngineReading {
  const raw: unknown = JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8'));
  const result = parseEngineStats(raw);
  assert.ok(result.ok && result.value.kind === 'running', `${file} should parse as a running reading`);
  return result.value;
}

function close(actual: number | null, expected: number, what: string, relative = 1e-9): void {
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Math.abs(actual - expected) <= Math.abs(expected) * relative, `${what}: ${actual} != ${expected}`);
}

/** "21.46MiB" as docker's units.BytesSize prints it, back to bytes. */
function binaryBytes(s: string): number {
  const m = /^([\d.]+)(B|KiB|MiB|GiB|TiB)$/.exec(s);
  assert.ok(m !== null, `not a docker byte size: ${s}`);
  const power = ['B', 'KiB', 'MiB', 'GiB', 'TiB'].indexOf(m[2]!);
  return Number(m[1]) * 1024 ** power;
}

describe('toSample on frames captured from a real engine', () => {
  test('first frame of a stream: cpu is null, not the lifetime average docker stats shows', () => {
    const sample = toSample('h1', ID, reading('v1-cpu-first.json'), undefined);
    assert.equal(sample.cpu, null);
    assert.equal(sample.id, ID);
  });

  test('busy loop under --cpus 0.5 reads about 50%, as docker stats computes it', () => {
    const sample = toSample('h1', ID, reading('v1-cpu-next.json'), reading('v1-cpu-first.json'));
    // From v1-cpu-next.json: (cpu total − precpu total) / (system − presystem) × online_cpus × 100.
    const expected = ((6666501864 - 6166226733) / (477570000000 - 475530000000)) * 2 * 100;
    close(sample.cpu, expected, 'cpu');
    assert.ok(sample.cpu! > 45 && sample.cpu! < 55, `cpu ${sample.cpu} is not near the 0.5 CPU quota`);
  });

  test('cgroup v1 memory: usage − total_inactive_file, within 10% of what docker stats printed', () => {
    const sample = toSample('h1', ID, reading('v1-mem.json'), undefined);
    assert.equal(sample.mem.used, 53964800 - 31457280);
    assert.equal(sample.mem.limit, 25276063744);
    close(sample.mem.percent, ((53964800 - 31457280) / 25276063744) * 100, 'mem.percent');

    const cli = JSON.parse(readFileSync(new URL('./fixtures/v1-mem.docker-stats.json', import.meta.url), 'utf8')) as {
      output: { MemUsage: string; MemPerc: string };
    };
    const [usage, limit] = cli.output.MemUsage.split(' / ') as [string, string];
    const shown = binaryBytes(usage);
    assert.ok(Math.abs(sample.mem.used - shown) <= shown * 0.1, `${sample.mem.used} vs docker stats ${usage}`);
    assert.ok(Math.abs(sample.mem.limit - binaryBytes(limit)) <= binaryBytes(limit) * 0.01, `limit vs ${limit}`);
    assert.equal(`${sample.mem.percent!.toFixed(2)}%`, cli.output.MemPerc);
  });

  test('cgroup v2 (public payload): usage − inactive_file; idle with a previous reading is 0, not null', () => {
    const sample = toSample('h1', ID, reading('v2-go-dockerclient.json'), undefined);
    assert.equal(sample.mem.used, 28557312 - 11882496);
    close(sample.mem.percent, ((28557312 - 11882496) / 67353382912) * 100, 'mem.percent');
    assert.equal(sample.cpu, 0);
    assert.equal(sample.pids, 29);
    assert.deepEqual(sample.blk, { read: 11390976, write: 0, readRate: null, writeRate: null });
  });

  test('block I/O rates over two consecutive frames', () => {
    const sample = toSample('h1', ID, reading('v1-blk-2.json'), reading('v1-blk-1.json'));
    // Read times 14:21:19.839603484 and 14:21:20.851716708. A double holds ms since 1970 to about 0.25 µs,
    // so 1e-6 is as close as the rate can be; rounding the times to whole ms would miss by ~1e-4 here.
    const seconds = 1.012113224;
    assert.equal(sample.blk.read, 293601280);
    assert.equal(sample.blk.write, 293601280);
    close(sample.blk.readRate, (293601280 - 251658240) / seconds, 'readRate', 1e-6);
    close(sample.blk.writeRate, (293601280 - 251658240) / seconds, 'writeRate', 1e-6);
    assert.deepEqual(sample.net, { rx: 586, tx: 0, rxRate: 0, txRate: 0 });
    assert.equal(sample.t, Date.UTC(2026, 10, 27, 14, 21, 20, 851));
    assert.equal(sample.pids, 2);
    assert.equal('dropped' in sample, false);
  });

  test('after a restart the counters went backwards: rates are null, totals are the new ones', () => {
    const sample = toSample('h1', ID, reading('v1-blk-restarted.json'), reading('v1-blk-2.json'));
    assert.deepEqual(sample.blk, { read: 62914560, write: 62914560, readRate: null, writeRate: null });
    assert.deepEqual(sample.net, { rx: 516, tx: 0, rxRate: null, txRate: 0 });
    assert.equal(sample.cpu, null);
  });

  test('--network none: totals 0, rates 0', () => {
    const cur = reading('v1-no-network.json');
    const sample = toSample('h1', ID, cur, { ...cur, read: cur.read - 1000 });
    assert.deepEqual(sample.net, { rx: 0, tx: 0, rxRate: 0, txRate: 0 });
  });
});

/** A reading of 2 CPUs with a previous reading one second earlier; each case below changes a few fields. */
const base: EngineReading = {
  kind: 'running',
  read: 1_000_000,
  cpuTotal: 3_000_000_000,
  systemCpu: 12_000_000_000,
  onlineCpus: 2,
  preCpuTotal: 2_000_000_000,
  preSystemCpu: 10_000_000_000,
  memUsage: 1000,
  memLimit: 4000,
  memInactiveFile: 200,
  netRx: 5000,
  netTx: 3000,
  blkRead: 800,
  blkWrite: 400,
  pids: 3,
};

const cpuCases: { name: string; cur: Partial<EngineReading>; cpu: number | null }[] = [
  { name: 'one core busy of two', cur: {}, cpu: 100 },
  { name: 'four cores fully busy', cur: { onlineCpus: 4, cpuTotal: 6_000_000_000, systemCpu: 14_000_000_000 }, cpu: 400 },
  { name: 'no previous system time', cur: { preSystemCpu: null }, cpu: null },
  { name: 'previous system time 0', cur: { preSystemCpu: 0 }, cpu: null },
  { name: 'no previous cpu total', cur: { preCpuTotal: null }, cpu: null },
  { name: 'no system time', cur: { systemCpu: null }, cpu: null },
  { name: 'idle: cpu delta 0', cur: { cpuTotal: 2_000_000_000 }, cpu: 0 },
  { name: 'system delta 0', cur: { systemCpu: 10_000_000_000 }, cpu: 0 },
  { name: 'cpu delta negative', cur: { cpuTotal: 1_000_000_000 }, cpu: 0 },
];

describe('toSample cpu', () => {
  for (const { name, cur, cpu } of cpuCases) {
    test(name, () => {
      const got = toSample('h1', ID, { ...base, ...cur }, undefined).cpu;
      assert.ok(!Number.isNaN(got));
      assert.equal(got, cpu);
    });
  }
});

const memCases: { name: string; cur: Partial<EngineReading>; used: number; percent: number | null }[] = [
  { name: 'inactive file subtracted', cur: {}, used: 800, percent: 20 },
  { name: 'nothing to subtract', cur: { memInactiveFile: null }, used: 1000, percent: 25 },
  { name: 'inactive file not below usage is ignored', cur: { memInactiveFile: 1000 }, used: 1000, percent: 25 },
  { name: 'no limit: percent null', cur: { memLimit: 0 }, used: 800, percent: null },
];

test('toSample passes the CPU time counter on, in seconds', () => {
  assert.equal(toSample('h1', ID, { ...base, cpuTotal: 1_500_000_000 }, undefined).cpuTime, 1.5);
});

describe('toSample memory', () => {
  for (const { name, cur, used, percent } of memCases) {
    test(name, () => {
      const { mem } = toSample('h1', ID, { ...base, ...cur }, undefined);
      // `charged` is the engine's usage as it is, page cache included.
      assert.deepEqual(mem, { used, limit: cur.memLimit ?? base.memLimit, percent, charged: base.memUsage });
    });
  }
});

const rateCases: {
  name: string;
  prev: Partial<EngineReading> | undefined;
  net: { rxRate: number | null; txRate: number | null };
  blk: { readRate: number | null; writeRate: number | null };
}[] = [
  {
    name: 'half a second later',
    prev: { read: base.read - 500, netRx: 4000, netTx: 3000, blkRead: 700, blkWrite: 0 },
    net: { rxRate: 2000, txRate: 0 },
    blk: { readRate: 200, writeRate: 800 },
  },
  { name: 'no previous reading', prev: undefined, net: { rxRate: null, txRate: null }, blk: { readRate: null, writeRate: null } },
  {
    name: 'same read time',
    prev: { netRx: 0 },
    net: { rxRate: null, txRate: null },
    blk: { readRate: null, writeRate: null },
  },
  {
    name: 'previous reading is later',
    prev: { read: base.read + 1000, netRx: 0 },
    net: { rxRate: null, txRate: null },
    blk: { readRate: null, writeRate: null },
  },
  {
    name: 'one counter went backwards',
    prev: { read: base.read - 1000, netRx: 6000, netTx: 2000, blkRead: 800, blkWrite: 500 },
    net: { rxRate: null, txRate: 1000 },
    blk: { readRate: 0, writeRate: null },
  },
];

describe('toSample rates', () => {
  for (const { name, prev, net, blk } of rateCases) {
    test(name, () => {
      const sample = toSample('h1', ID, base, prev === undefined ? undefined : { ...base, ...prev });
      assert.deepEqual(sample.net, { rx: base.netRx, tx: base.netTx, ...net });
      assert.deepEqual(sample.blk, { read: base.blkRead, write: base.blkWrite, ...blk });
    });
  }
});
