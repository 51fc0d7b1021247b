import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseEngineStats, type EngineReading } from '../stats/engine-stats.js';
import { toSample } from '../stats/sample.js';
import { ContainerBuffers, ContainerFiles } from './container-files.js';
import { findLayout, locateContainer } from './layout.js';
import { parseMemTotal, parseNetDev, parseProcStat } from './proc-parse.js';
import { toEngineReading, type HostReading } from './reading.js';
import { FdBudget } from './small-file.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Reads a fixture tree the way the source does, through the same modules. */
function readFixture(name: string, id: string, pid: number, prev?: EngineReading): EngineReading {
  const root = join(FIXTURES, name);
  const layout = findLayout({ hostRoot: root });
  assert.ok(layout.ok);
  const dirs = locateContainer(layout.value, id);
  assert.ok(dirs);
  const files = new ContainerFiles(layout.value.version, dirs, new FdBudget(0));
  const bytes = new ContainerBuffers();
  assert.ok(files.read(bytes));
  files.close();
  const stat = parseProcStat(readFileSync(join(root, 'proc/stat'), 'utf8'));
  const mem = parseMemTotal(readFileSync(join(root, 'proc/meminfo'), 'utf8'));
  const net = parseNetDev(readFileSync(join(root, `proc/${pid}/net/dev`), 'utf8'));
  assert.ok(stat.ok && mem.ok && net.ok);
  const host: HostReading = { ...stat.value, memTotal: mem.value };
  const r = toEngineReading(layout.value.version, bytes, net.value, host, prev, 1_795_790_962_396);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

/** Buffers holding the given files' text, as a read leaves them; a file not given reads as absent. */
function filled(text: Partial<Record<keyof ContainerBuffers, string>>): ContainerBuffers {
  const files = new ContainerBuffers();
  for (const name of ['cpu', 'memUsage', 'memLimit', 'memStat', 'io', 'pids'] as const) {
    const t = text[name];
    if (t === undefined) continue;
    files[name].bytes.write(t, 'latin1');
    files[name].length = t.length;
  }
  return files;
}

describe('toEngineReading', () => {
  test("v1, captured: the same figures as the engine's stats frame read a few ms later", () => {
    const ours = readFixture('v1-cgroupfs', '02237c865471559d82fa7807e6dca5ffab0c7bb9e11ae9e616bebd22476553fb', 5348);
    const frame = parseEngineStats(JSON.parse(readFileSync(join(FIXTURES, 'v1-cgroupfs/docker-stats-frame.json'), 'utf8')));
    assert.ok(frame.ok && frame.value.kind === 'running');
    const engine = frame.value;
    assert.equal(ours.cpuTotal, engine.cpuTotal);
    assert.equal(ours.onlineCpus, engine.onlineCpus);
    assert.equal(ours.memLimit, engine.memLimit, 'no limit: MemTotal, as dockerd shows');
    assert.equal(ours.memInactiveFile, engine.memInactiveFile);
    // Usage moved by 16 KiB between the two reads.
    assert.ok(Math.abs(ours.memUsage - engine.memUsage) <= engine.memUsage * 0.01, `${ours.memUsage} vs ${engine.memUsage}`);
    assert.deepEqual(
      [ours.netRx, ours.netTx, ours.blkRead, ours.blkWrite, ours.pids],
      [engine.netRx, engine.netTx, engine.blkRead, engine.blkWrite, engine.pids],
    );
    // The shown memory: 20 MiB of tmpfs and a little more; the 30 MiB of inactive page cache is left out.
    const shown = toSample('h1', 'x', ours, undefined).mem.used;
    assert.ok(shown > 20 * 2 ** 20 && shown < 23 * 2 ** 20, `${shown}`);
  });

  test('v2 systemd: usage_usec in ns, limit max → MemTotal, io.stat and net summed, lo left out', () => {
    const r = readFixture('v2-systemd', '3f3acee31705a7af33286fe44f37d5b6405956c87a363116ce277a5ba19f14e4', 31337);
    assert.equal(r.cpuTotal, 8123456 * 1000);
    assert.equal(r.systemCpu, (4705 + 356 + 584 + 3699176 + 23060 + 0 + 277) * 1e7);
    assert.equal(r.onlineCpus, 4);
    assert.equal(r.memUsage, 24313856);
    assert.equal(r.memLimit, 16318480 * 1024);
    assert.equal(r.memInactiveFile, 1175552);
    assert.deepEqual([r.blkRead, r.blkWrite], [1459200 + 90430464, 314773504 + 299008000]);
    assert.deepEqual([r.netRx, r.netTx], [1250148 + 12345678901, 86431 + 98765432]);
    assert.equal(r.pids, 2);
    assert.equal(r.preCpuTotal, null, 'no previous reading: no CPU figure');
  });

  test('v2 cgroupfs: a 256 MiB limit, no io.stat → block I/O 0', () => {
    const r = readFixture('v2-cgroupfs', '67bd92af4c3681b0e3a75c20bab1d6da4f6aea60f59f68b82def401dd7481e0c', 4242);
    assert.equal(r.memLimit, 268435456);
    assert.deepEqual([r.blkRead, r.blkWrite], [0, 0]);
    assert.equal(r.pids, 1);
    assert.equal(r.onlineCpus, 2);
  });

  test("the previous reading stands in for precpu_stats, so toSample computes docker's CPU %", () => {
    const prev = readFixture('v2-cgroupfs', '67bd92af4c3681b0e3a75c20bab1d6da4f6aea60f59f68b82def401dd7481e0c', 4242);
    // Half a core for one second on a 2-CPU host: 0.5 s of container time against 2 s of host time.
    const before: EngineReading = {
      ...prev,
      cpuTotal: prev.cpuTotal - 500_000_000,
      systemCpu: prev.systemCpu! - 2e9,
      read: prev.read - 1000,
    };
    const cur: EngineReading = { ...prev, preCpuTotal: before.cpuTotal, preSystemCpu: before.systemCpu };
    assert.equal(toSample('h1', 'x', cur, before).cpu, 50);
  });

  test('a torn or unexpected file is an error that names the file', () => {
    const host: HostReading = { systemCpuNs: 1, onlineCpus: 1, memTotal: 1 };
    const r = toEngineReading(1, filled({ cpu: '', memUsage: '1', memLimit: 'max', memStat: '' }), { rx: 0, tx: 0 }, host, undefined, 0);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /cpuacct\.usage/);
  });

  test('only the bytes of the last read count, not what an earlier, longer file left in the buffer', () => {
    const host: HostReading = { systemCpuNs: 1, onlineCpus: 1, memTotal: 2 ** 40 };
    const files = filled({ cpu: '123456789\n', memUsage: '4096\n', memLimit: '1048576\n', memStat: 'cache 0\n' });
    // What a longer file left behind: a line `inactive_file 1024` past the end of this memory.stat.
    files.memStat.bytes.write('\ninactive_file 1024\n', files.memStat.length, 'latin1');
    const r = toEngineReading(1, files, { rx: 0, tx: 0 }, host, undefined, 0);
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.memInactiveFile, null);
    assert.equal(r.value.pids, null, 'no pids file');
  });

  test("a limit not read this time is the previous reading's; with no previous reading it is an error", () => {
    const host: HostReading = { systemCpuNs: 1, onlineCpus: 1, memTotal: 2 ** 40 };
    const text = { cpu: '5\n', memUsage: '4096\n', memLimit: '1048576\n', memStat: '' };
    const first = toEngineReading(1, filled(text), { rx: 0, tx: 0 }, host, undefined, 0);
    assert.ok(first.ok);
    assert.equal(first.value.memLimit, 1048576);
    const unread = filled(text);
    unread.memLimit.length = -1;
    const next = toEngineReading(1, unread, { rx: 0, tx: 0 }, host, first.value, 1000);
    assert.ok(next.ok);
    assert.equal(next.value.memLimit, 1048576);
    const alone = toEngineReading(1, unread, { rx: 0, tx: 0 }, host, undefined, 1000);
    assert.match(alone.ok ? '' : alone.error, /memory limit: not read/);
  });
});
