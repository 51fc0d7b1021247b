import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { toSample } from '../stats/sample.js';
import { asPodmanReports, libpodReading, parseLibpodFrame } from '../podman/libpod-stats.js';
import { ContainerBuffers, ContainerFiles } from './container-files.js';
import { findLayout, locateContainer, type CgroupLayout } from './layout.js';
import { parseMemTotal, parseNetDev, parseProcStat } from './proc-parse.js';
import { toEngineReading } from './reading.js';
import { FdBudget } from './small-file.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const V1 = { name: 'v1-podman-cgroupfs', id: 'b5c4efbce61cdc44e37df32acea6daecce7267831b9865291a21bd73808f33f6', pid: 4450 };
const V2S = { name: 'v2-podman-systemd', id: '3b6c12c1d56a1d6e539e559e052af497cab59204c89caea1be5f71a450a2a1cb', pid: 31337 };
const V2C = { name: 'v2-podman-cgroupfs', id: '75c93558fab2cecfce6ffcdc80be546bc05a52fef16f196c1b69a3f947da99cf', pid: 4242 };

function podmanLayout(name: string): CgroupLayout {
  const layout = findLayout({ hostRoot: join(FIXTURES, name) });
  assert.ok(layout.ok, layout.ok ? '' : layout.error);
  return { ...layout.value, engine: 'podman' };
}

describe("locateContainer: Podman's cgroups", () => {
  const cases: [string, typeof V1, string][] = [
    ['v1 cgroupfs: libpod_parent/libpod-<id> in each hierarchy', V1, 'libpod_parent/libpod-'],
    ['v2 systemd: machine.slice/libpod-<id>.scope (its processes in container/, read as a whole)', V2S, 'machine.slice/libpod-'],
    ['v2 cgroupfs: libpod_parent/libpod-<id>', V2C, 'libpod_parent/libpod-'],
  ];
  for (const [name, f, where] of cases) {
    test(name, () => {
      const layout = podmanLayout(f.name);
      const dirs = locateContainer(layout, f.id);
      assert.ok(dirs, 'found');
      assert.ok(dirs.memory.endsWith(`${where}${f.id}${where.startsWith('machine') ? '.scope' : ''}`), dirs.memory);
      // Looked for with Docker's names, it is not at the usual places.
      assert.equal(locateContainer({ ...layout, engine: undefined }, f.id), undefined);
    });
  }
});

test("v1, captured from Podman 4.3: the cgroup files give the figures of Podman's own stats frame", () => {
  const root = join(FIXTURES, V1.name);
  const layout = podmanLayout(V1.name);
  const dirs = locateContainer(layout, V1.id, V1.pid);
  assert.ok(dirs);
  const files = new ContainerFiles(layout.version, dirs, new FdBudget(0));
  const bytes = new ContainerBuffers();
  assert.ok(files.read(bytes));
  files.close();
  const stat = parseProcStat(readFileSync(join(root, 'proc/stat'), 'utf8'));
  const mem = parseMemTotal(readFileSync(join(root, 'proc/meminfo'), 'utf8'));
  const net = parseNetDev(readFileSync(join(root, `proc/${V1.pid}/net/dev`), 'utf8'));
  assert.ok(stat.ok && mem.ok && net.ok);
  const read = toEngineReading(layout.version, bytes, net.value, { ...stat.value, memTotal: mem.value }, undefined, 0);
  assert.ok(read.ok, read.ok ? '' : read.error);
  const ours = toSample('h', V1.id, asPodmanReports(read.value), undefined);

  const entry = parseLibpodFrame(JSON.parse(readFileSync(join(root, 'libpod-stats-frame.json'), 'utf8')), V1.id);
  assert.ok(entry.ok);
  const frame = libpodReading(entry.value, undefined, { kind: 'podman', version: '4.3.1', rootless: false, controllers: undefined });
  assert.equal(frame.kind, 'running');
  const theirs = toSample('h', V1.id, frame, undefined);

  // 20 MiB of tmpfs and 30 MiB of page cache, all of it shown, as `podman stats` showed "54.08MB".
  assert.equal(ours.mem.used, theirs.mem.used);
  assert.equal(ours.mem.used, 54079488);
  assert.equal(ours.mem.limit, theirs.mem.limit);
  assert.deepEqual([ours.net.rx, ours.net.tx, ours.blk.read, ours.blk.write, ours.pids], [516, 516, 0, 0, 1]);
  assert.deepEqual([theirs.net.rx, theirs.net.tx, theirs.blk.read, theirs.blk.write, theirs.pids], [516, 516, 0, 0, 1]);
  assert.equal(ours.cpuTime, theirs.cpuTime);
  // Read as Docker's, the 30 MiB of inactive page cache would be left out: 10 % off and more.
  const docker = toSample('h', V1.id, read.value, undefined);
  assert.ok(docker.mem.used < 0.5 * theirs.mem.used, `${docker.mem.used}`);
});
