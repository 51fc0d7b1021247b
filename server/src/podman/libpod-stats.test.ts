import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { toSample } from '../stats/sample.js';
import { parseEngineStats, type EngineReading } from '../stats/engine-stats.js';
import { libpodReading, parseLibpodFrame, unreportedBy } from './libpod-stats.js';
import type { PodmanIdentity } from './engine-identity.js';

/** A decoded frame from `fixtures/` (see its README for where each came from). */
function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;
}

const BURN = '6fe236183fc90aa777945df99f76e5304b7ccb321a5c7584c3aa0e8fa80feaa4';
const ROOTFUL: PodmanIdentity = {
  kind: 'podman',
  version: '4.3.1',
  rootless: false,
  controllers: ['cpu', 'cpuacct', 'blkio', 'memory', 'pids'],
};

function reading(name: string, prev?: EngineReading, id = BURN): EngineReading {
  const entry = parseLibpodFrame(fixture(name), id);
  assert.ok(entry.ok, entry.ok ? '' : entry.error);
  const r = libpodReading(entry.value, prev, ROOTFUL);
  assert.equal(r.kind, 'running');
  return r;
}

describe('libpod stats frames captured from Podman 4.3', () => {
  test('the first frame of a stream has no CPU figure, as the first of a Docker stream', () => {
    const sample = toSample('h', BURN, reading('libpod-stats-first.json'), undefined);
    assert.equal(sample.cpu, null);
    // Values copied by hand from the fixture.
    assert.equal(sample.cpuTime, 266715277824 / 1e9);
    assert.equal(sample.mem.used, 352256);
    assert.equal(sample.mem.limit, 25276063744);
    assert.equal(sample.pids, 1);
    // SystemNano 1796099224262526937 ns, past a double's exact integers: read as the nearest double.
    assert.equal(sample.t, 1796099224262);
    assert.equal(sample.unreported, undefined);
  });

  test("the next frame's CPU is the one Podman computed for it (what podman stats prints)", () => {
    const first = reading('libpod-stats-first.json');
    const next = reading('libpod-stats-next.json', first);
    const sample = toSample('h', BURN, next, first);
    // "CPU" of libpod-stats-next.json; SystemNano loses ~256 ns to float rounding, far below this tolerance.
    assert.ok(Math.abs(sample.cpu! - 48.74986792060491) < 1e-4, `cpu ${sample.cpu}`);
  });

  test('memory is what Podman shows, page cache included: nothing is subtracted', () => {
    const frame = fixture('../../cgroup/fixtures/v1-podman-cgroupfs/libpod-stats-frame.json');
    const entry = parseLibpodFrame(frame, 'b5c4efbce61cdc44e37df32acea6daecce7267831b9865291a21bd73808f33f6');
    assert.ok(entry.ok);
    const r = libpodReading(entry.value, undefined, ROOTFUL);
    assert.equal(r.kind, 'running');
    const sample = toSample('h', entry.value.id, r, undefined);
    assert.equal(sample.mem.used, 54079488);
    assert.equal(sample.net.rx, 516);
    assert.equal(sample.net.tx, 516);
  });

  test("network: Podman's NetInput is what the container sent, as its /proc/<pid>/net/dev shows at the same moment", () => {
    const entry = parseLibpodFrame(fixture('libpod-stats-chat.json'), '99ef924772478b5812863ea3570f99e3eb153ab962b4cfafaf99864f5f9964a8');
    assert.ok(entry.ok);
    assert.deepEqual([entry.value.netInput, entry.value.netOutput], [1886, 1546]);
    // net-dev-chat.txt: eth0 received 1546 bytes and sent 1886.
    const sample = toSample('h', entry.value.id, libpodReading(entry.value, undefined, ROOTFUL) as EngineReading, undefined);
    assert.deepEqual([sample.net.rx, sample.net.tx], [1546, 1886]);
  });

  test('a stopped container comes as zeros, which read as not running', () => {
    const frame = fixture('libpod-stats-stopped.json');
    const entry = parseLibpodFrame(frame, '648e02db9de99cef30079513a5198e1acaf290411c9a34637aa4e9e280d22896');
    assert.ok(entry.ok);
    assert.deepEqual(libpodReading(entry.value, undefined, ROOTFUL), { kind: 'not-running' });
  });

  test('a frame with an error, another container, or a field of the wrong type is refused', () => {
    assert.match(parseLibpodFrame({ Error: 'no such container', Stats: null }, BURN).ok ? '' : 'refused', /refused/);
    assert.equal(parseLibpodFrame(fixture('libpod-stats-first.json'), 'f'.repeat(64)).ok, false);
    const bad = fixture('libpod-stats-first.json') as { Stats: Record<string, unknown>[] };
    bad.Stats[0]!['MemUsage'] = '352256';
    assert.equal(parseLibpodFrame(bad, BURN).ok, false);
    assert.equal(parseLibpodFrame([], BURN).ok, false);
  });
});

describe("Podman's Docker-compatible stats frame", () => {
  test('parses as a Docker frame, with a previous reading taken moments before and no memory breakdown', () => {
    const r = parseEngineStats(fixture('compat-stats-first.json'));
    assert.ok(r.ok && r.value.kind === 'running');
    assert.equal(r.value.memInactiveFile, null);
    assert.equal(r.value.onlineCpus, 2);
    // system_cpu_usage 39469729173334 against precpu's 39469714234311: 15 ms of host CPU time, 8 ms apart.
    assert.equal(r.value.systemCpu! - r.value.preSystemCpu!, 14939023);
  });
});

describe('what a Podman engine does not report', () => {
  const cases: [string, PodmanIdentity, boolean, string[]][] = [
    ['rootful, every controller', ROOTFUL, false, []],
    ['rootful, controllers unknown', { ...ROOTFUL, controllers: undefined }, false, []],
    [
      'rootless cgroup v2 with memory and pids delegated',
      { ...ROOTFUL, rootless: true, controllers: ['memory', 'pids'] },
      false,
      ['net', 'blk'],
    ],
    ['rootless cgroup v2 with nothing delegated', { ...ROOTFUL, rootless: true, controllers: [] }, false, ['mem', 'net', 'blk']],
    ['a running container charged no memory', ROOTFUL, true, ['mem']],
  ];
  for (const [name, podman, noMemory, want] of cases) test(name, () => assert.deepEqual(unreportedBy(podman, noMemory), want));

  test('a reading carries them to the sample, whose figures stay numbers', () => {
    const entry = parseLibpodFrame(fixture('libpod-stats-next.json'), BURN);
    assert.ok(entry.ok);
    const r = libpodReading(entry.value, undefined, { ...ROOTFUL, rootless: true, controllers: ['memory', 'pids'] });
    assert.equal(r.kind, 'running');
    const sample = toSample('h', BURN, r, undefined);
    assert.deepEqual(sample.unreported, ['net', 'blk']);
    assert.equal(sample.net.rx, 0);
  });
});
