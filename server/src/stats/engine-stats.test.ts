/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call --
   fixtures are edited here as the untyped JSON they are, to build frames an engine could send */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { JsonObject } from '@dockpulse/shared';
import { parseEngineStats } from './engine-stats.js';
import type { EngineReading } from './engine-stats.js';

/** A frame from `fixtures/` (see its README for where each came from), parsed afresh so a test may change it. */
function fixture(name: string): JsonObject {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as JsonObject;
}

/** The fixture with `edit` applied: the way to build a frame an engine could send but this one did not. */
function edited(name: string, edit: (frame: any) => void): JsonObject {
  const frame = fixture(name);
  edit(frame);
  return frame;
}

function running(raw: unknown): EngineReading {
  const result = parseEngineStats(raw);
  assert.ok(result.ok, `expected a reading, got error ${result.ok ? '' : result.error}`);
  assert.equal(result.value.kind, 'running');
  return result.value;
}

/** Expected values are copied by hand from the fixture files, not produced by the parser. */
const realFrames: { name: string; file: string; want: Partial<EngineReading> }[] = [
  {
    name: 'first frame of a stream: precpu has a zero total and no system time',
    file: 'v1-cpu-first.json',
    want: {
      cpuTotal: 6166226733,
      systemCpu: 475530000000,
      onlineCpus: 2,
      preCpuTotal: 0,
      preSystemCpu: null,
      memUsage: 331776,
      memLimit: 25276063744,
      memInactiveFile: 0,
      netRx: 1112,
      netTx: 0,
      blkRead: 0,
      blkWrite: 0,
      pids: 1,
    },
  },
  {
    name: 'later frame of the --cpus 0.5 busy loop',
    file: 'v1-cpu-next.json',
    want: { cpuTotal: 6666501864, systemCpu: 477570000000, preCpuTotal: 6166226733, preSystemCpu: 475530000000 },
  },
  {
    name: 'cgroup v1 memory: total_inactive_file is the cache to subtract',
    file: 'v1-mem.json',
    want: { memUsage: 53964800, memLimit: 25276063744, memInactiveFile: 31457280, blkRead: 8192, blkWrite: 0 },
  },
  {
    name: 'cgroup v1 block I/O: only Read and Write count, not Sync, Async, Discard or Total',
    file: 'v1-blk-2.json',
    want: { blkRead: 293601280, blkWrite: 293601280, netRx: 586, pids: 2 },
  },
  {
    name: '--network none: no networks key at all',
    file: 'v1-no-network.json',
    want: { netRx: 0, netTx: 0, pids: 1 },
  },
  {
    name: 'cgroup v2 (public payload): no percpu_usage, lowercase ops, inactive_file',
    file: 'v2-go-dockerclient.json',
    want: {
      cpuTotal: 185266562000,
      onlineCpus: 24,
      preCpuTotal: 185266562000,
      memUsage: 28557312,
      memLimit: 67353382912,
      memInactiveFile: 11882496,
      netRx: 96802652,
      netTx: 16597749,
      blkRead: 11390976,
      blkWrite: 0,
      pids: 29,
    },
  },
];

describe('parseEngineStats on frames captured from a real engine', () => {
  for (const { name, file, want } of realFrames) {
    test(name, () => {
      const reading = running(fixture(file));
      for (const [key, value] of Object.entries(want)) {
        assert.equal(reading[key as keyof EngineReading], value, key);
      }
    });
  }

  test('read keeps the nanosecond time to sub-millisecond precision', () => {
    const reading = running(fixture('v1-cpu-next.json'));
    // "2026-11-27T14:20:50.554748093Z"
    assert.ok(Math.abs(reading.read - (Date.UTC(2026, 10, 27, 14, 20, 50, 554) + 0.748093)) < 1e-3);
  });

  for (const file of ['v1-stopped.json', 'v1-stopping.json']) {
    test(`${file}: the zero read time marks a container that is not running`, () => {
      assert.deepEqual(parseEngineStats(fixture(file)), { ok: true, value: { kind: 'not-running' } });
    });
  }
});

const variants: { name: string; frame: () => JsonObject; want: Partial<EngineReading> }[] = [
  {
    name: 'online_cpus absent: the length of percpu_usage',
    frame: () => edited('v1-cpu-next.json', (f) => delete f.cpu_stats.online_cpus),
    want: { onlineCpus: 2 },
  },
  {
    name: 'online_cpus 0: the length of percpu_usage',
    frame: () => edited('v1-cpu-next.json', (f) => (f.cpu_stats.online_cpus = 0)),
    want: { onlineCpus: 2 },
  },
  {
    name: 'online_cpus absent on cgroup v2, which has no percpu_usage: 0',
    frame: () => edited('v2-go-dockerclient.json', (f) => delete f.cpu_stats.online_cpus),
    want: { onlineCpus: 0 },
  },
  {
    name: 'no precpu_stats at all',
    frame: () => edited('v1-cpu-next.json', (f) => delete f.precpu_stats),
    want: { preCpuTotal: null, preSystemCpu: null },
  },
  {
    name: 'no system_cpu_usage',
    frame: () => edited('v1-cpu-next.json', (f) => delete f.cpu_stats.system_cpu_usage),
    want: { systemCpu: null },
  },
  {
    name: 'two interfaces are summed',
    frame: () => edited('v2-go-dockerclient.json', (f) => (f.networks.eth1 = { ...f.networks.eth0, rx_bytes: 1000, tx_bytes: 7 })),
    want: { netRx: 96802652 + 1000, netTx: 16597749 + 7 },
  },
  {
    name: 'networks null',
    frame: () => edited('v1-cpu-next.json', (f) => (f.networks = null)),
    want: { netRx: 0, netTx: 0 },
  },
  {
    name: 'io_service_bytes_recursive null, as dockerd sends when there is none',
    frame: () => edited('v1-blk-2.json', (f) => (f.blkio_stats.io_service_bytes_recursive = null)),
    want: { blkRead: 0, blkWrite: 0 },
  },
  {
    name: 'several devices are summed, ops matched by full name in any case',
    frame: () =>
      edited('v1-blk-2.json', (f) =>
        f.blkio_stats.io_service_bytes_recursive.push(
          { major: 8, minor: 0, op: 'READ', value: 5 },
          { major: 8, minor: 0, op: 'write', value: 3 },
          { major: 8, minor: 0, op: 'Readahead', value: 1000 },
        ),
      ),
    want: { blkRead: 293601280 + 5, blkWrite: 293601280 + 3 },
  },
  {
    name: 'pids_stats empty',
    frame: () => edited('v1-cpu-next.json', (f) => (f.pids_stats = {})),
    want: { pids: null },
  },
  {
    name: 'memory_stats empty',
    frame: () => edited('v1-cpu-next.json', (f) => (f.memory_stats = {})),
    want: { memUsage: 0, memLimit: 0, memInactiveFile: null },
  },
  {
    name: 'v1 key preferred over inactive_file when both are below usage',
    frame: () => edited('v1-mem.json', (f) => (f.memory_stats.stats.inactive_file = 4096)),
    want: { memInactiveFile: 31457280 },
  },
  {
    name: 'v1 key not below usage: inactive_file, as docker/cli falls through',
    frame: () =>
      edited('v1-mem.json', (f) => {
        f.memory_stats.stats.total_inactive_file = 53964800;
        f.memory_stats.stats.inactive_file = 4096;
      }),
    want: { memInactiveFile: 4096 },
  },
  {
    name: 'neither key below usage: nothing to subtract',
    frame: () => edited('v2-go-dockerclient.json', (f) => (f.memory_stats.stats.inactive_file = 28557312)),
    want: { memInactiveFile: null },
  },
  {
    name: 'read with a zone offset',
    frame: () => edited('v1-cpu-next.json', (f) => (f.read = '2026-11-27T16:20:50.5+02:00')),
    want: { read: Date.UTC(2026, 10, 27, 14, 20, 50, 500) },
  },
  {
    name: 'read without a fraction',
    frame: () => edited('v1-cpu-next.json', (f) => (f.read = '2026-11-27T14:20:50Z')),
    want: { read: Date.UTC(2026, 10, 27, 14, 20, 50) },
  },
];

describe('parseEngineStats on edited frames', () => {
  for (const { name, frame, want } of variants) {
    test(name, () => {
      const reading = running(frame());
      for (const [key, value] of Object.entries(want)) {
        assert.equal(reading[key as keyof EngineReading], value, key);
      }
    });
  }
});

const rejected: { name: string; frame: () => unknown; error: RegExp }[] = [
  { name: 'null', frame: () => null, error: /frame/ },
  { name: 'an array', frame: () => [fixture('v1-cpu-next.json')], error: /frame/ },
  { name: 'a string', frame: () => '{"read":"x"}', error: /frame/ },
  { name: 'no read', frame: () => edited('v1-cpu-next.json', (f) => delete f.read), error: /^read/ },
  { name: 'read not a time', frame: () => edited('v1-cpu-next.json', (f) => (f.read = 'yesterday')), error: /^read/ },
  {
    name: 'read on a day that does not exist',
    frame: () => edited('v1-cpu-next.json', (f) => (f.read = '2026-02-30T00:00:00Z')),
    error: /^read/,
  },
  { name: 'read a number', frame: () => edited('v1-cpu-next.json', (f) => (f.read = 1764253250554)), error: /^read/ },
  {
    name: 'no cpu_stats',
    frame: () => edited('v1-cpu-next.json', (f) => delete f.cpu_stats),
    error: /cpu_stats\.cpu_usage\.total_usage: missing/,
  },
  {
    name: 'total_usage a string',
    frame: () => edited('v1-cpu-next.json', (f) => (f.cpu_stats.cpu_usage.total_usage = '6666501864')),
    error: /cpu_stats\.cpu_usage\.total_usage/,
  },
  {
    name: 'negative counter',
    frame: () => edited('v1-cpu-next.json', (f) => (f.cpu_stats.system_cpu_usage = -1)),
    error: /cpu_stats\.system_cpu_usage/,
  },
  {
    name: 'percpu_usage not an array',
    frame: () => edited('v1-cpu-next.json', (f) => (f.cpu_stats.cpu_usage.percpu_usage = { 0: 1 })),
    error: /percpu_usage/,
  },
  {
    name: 'memory usage a string',
    frame: () => edited('v1-mem.json', (f) => (f.memory_stats.usage = 'lots')),
    error: /memory_stats\.usage/,
  },
  {
    name: 'memory stats not an object',
    frame: () => edited('v1-mem.json', (f) => (f.memory_stats.stats = [])),
    error: /memory_stats\.stats/,
  },
  {
    name: 'networks a string',
    frame: () => edited('v1-cpu-next.json', (f) => (f.networks = 'eth0')),
    error: /^networks/,
  },
  {
    name: 'rx_bytes a string',
    frame: () => edited('v1-cpu-next.json', (f) => (f.networks.eth0.rx_bytes = '1112')),
    error: /networks\.eth0\.rx_bytes/,
  },
  {
    name: 'blkio entry without op',
    frame: () => edited('v1-blk-2.json', (f) => (f.blkio_stats.io_service_bytes_recursive[1] = { value: 1 })),
    error: /io_service_bytes_recursive\[1\]/,
  },
  {
    name: 'blkio value a string',
    frame: () => edited('v1-blk-2.json', (f) => (f.blkio_stats.io_service_bytes_recursive[0].value = '1')),
    error: /io_service_bytes_recursive\[0\]\.value/,
  },
  {
    name: 'pids a string',
    frame: () => edited('v1-cpu-next.json', (f) => (f.pids_stats.current = 'one')),
    error: /pids_stats\.current/,
  },
];

describe('parseEngineStats rejects', () => {
  for (const { name, frame, error } of rejected) {
    test(name, () => {
      const result = parseEngineStats(frame());
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.error, error);
    });
  }
});
