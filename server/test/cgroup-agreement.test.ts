/**
 * The cgroup source against the engine's stats API, on real containers at the same time: both must show what
 * `docker stats` shows. Needs the Docker engine this project's scripts start, and a cgroup tree this process
 * can read (root on the engine's host); skipped where the host lacks it, and the block I/O case where the host
 * does not account block I/O to containers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import type { Sample } from '@dockpulse/shared';
import type { Engine } from '../src/docker/engine.js';
import { ContainerList } from '../src/docker/container-list.js';
import { DockerStatsSource } from '../src/docker/stats-source.js';
import { silentLogger } from '../src/log.js';
import { CgroupStatsSource } from '../src/cgroup/cgroup-source.js';
import { enginePidLookup } from '../src/cgroup/container-process.js';
import { detectCgroupAccess } from '../src/cgroup/detect.js';
import { hostTicks, idleCpus } from './helpers/host-cpu.js';
import { Recorder } from '../src/testing/recorder.js';
import { TestContainers, docker, ensureTestImage } from './helpers/docker.js';
import { hostFeatures } from './helpers/host-features.js';

/** A bound on waiting for a condition, so that a failure ends the test instead of hanging it. */
const WAIT_MS = 60_000;

const host = await hostFeatures();

/**
 * The CPU % a source's samples imply over [from, to]: each figure covers the time since the sample before it.
 * Both sources are compared over the same window, because they read at different instants and a loop that
 * competes for a busy host's CPUs gets a different share in each second.
 */
function averageCpu(samples: readonly Sample[], from: number, to: number): number {
  let coreMs = 0;
  for (let i = 1; i < samples.length; i++) {
    const cpu = samples[i]!.cpu;
    const overlap = Math.min(samples[i]!.t, to) - Math.max(samples[i - 1]!.t, from);
    if (cpu !== null && overlap > 0) coreMs += (cpu / 100) * overlap;
  }
  return (coreMs / (to - from)) * 100;
}

describe('cgroup source and Docker stats API agree on real containers', { skip: host.cgroupFiles ?? host.memory }, () => {
  const engine: Engine = { docker: new Docker({ socketPath: '/var/run/docker.sock' }), endpoint: 'unix:///var/run/docker.sock' };
  const containers = new TestContainers();
  const lifetime = new AbortController();
  const watching = new AbortController();
  let list: ContainerList;
  let listDone: Promise<void> = Promise.resolve();
  let burn = '';
  let mem = '';
  let blk = '';
  const cg = { burn: new Recorder(WAIT_MS), mem: new Recorder(WAIT_MS), blk: new Recorder(WAIT_MS) };
  const dk = { burn: new Recorder(WAIT_MS), mem: new Recorder(WAIT_MS), blk: new Recorder(WAIT_MS) };
  let cgroup: CgroupStatsSource;

  before(async () => {
    await ensureTestImage();
    burn = await containers.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5']);
    mem = await containers.run('mem', ['sh', '-c', 'head -c 20m /dev/zero > /dev/shm/hold; sleep 1d']);
    if (!host.blockIo) {
      // Direct I/O, so the writes reach the disk (and blkio's counters) rather than stay in the page cache.
      blk = await containers.run('blk', ['sh', '-c', 'dd if=/dev/zero of=/written bs=1M count=20 oflag=direct 2>/dev/null; sleep 1d']);
    }
    list = new ContainerList('local', engine, silentLogger);
    listDone = list.run(lifetime.signal);
    const pids = enginePidLookup(engine);
    const detected = detectCgroupAccess({ endpoint: engine.endpoint, running: [{ id: burn, pid: await pids(burn, lifetime.signal) }] });
    assert.ok(detected.ok, detected.ok ? '' : detected.error);
    cgroup = new CgroupStatsSource({ host: 'local', layout: detected.value, list, pids, log: silentLogger });
    const api = new DockerStatsSource('local', engine, list, silentLogger, 1000);
    cgroup.watch(burn, cg.burn, watching.signal);
    cgroup.watch(mem, cg.mem, watching.signal);
    api.watch(burn, dk.burn, watching.signal);
    api.watch(mem, dk.mem, watching.signal);
    if (blk) {
      cgroup.watch(blk, cg.blk, watching.signal);
      api.watch(blk, dk.blk, watching.signal);
    }
  });

  after(async () => {
    watching.abort();
    lifetime.abort();
    await listDone;
    await containers.removeAll();
  });

  test('CPU of a --cpus 0.5 busy loop: both near 50 %, and near each other', async (t) => {
    const start = hostTicks();
    await cg.burn.until(() => cg.burn.cpus().length >= 10, 'ten CPU figures from the cgroup source');
    await dk.burn.until(() => dk.burn.cpus().length >= 10, 'ten CPU figures from the Docker API');
    const idle = idleCpus(start, hostTicks());
    // From the second figure of either (the first covers start-up) to the last of both.
    const firstFigure = (r: Recorder): number => r.samples.filter((s) => s.cpu !== null)[1]!.t;
    const from = Math.max(firstFigure(cg.burn), firstFigure(dk.burn));
    const to = Math.min(cg.burn.samples.at(-1)!.t, dk.burn.samples.at(-1)!.t);
    const ours = averageCpu(cg.burn.samples, from, to);
    const theirs = averageCpu(dk.burn.samples, from, to);
    assert.ok(Math.abs(ours - theirs) <= 5, `over ${to - from} ms: cgroup ${ours} vs Docker ${theirs}`);
    for (const r of [cg.burn, dk.burn]) for (const c of r.cpus()) assert.ok(c <= 55, `above the quota: ${c}`);
    // On a host that other work keeps busy (less than half a CPU idle on average) the loop gets less than its
    // quota, and both sources say so: only their agreement is checked then.
    if (idle < 0.5) return t.diagnostic(`host saturated (${idle.toFixed(2)} CPUs idle): cgroup ${ours}, Docker ${theirs}`);
    assert.ok(Math.abs(ours - 50) <= 5, `cgroup source: ${ours} (${idle.toFixed(2)} CPUs idle)`);
    assert.ok(Math.abs(theirs - 50) <= 5, `Docker API: ${theirs} (${idle.toFixed(2)} CPUs idle)`);
  });

  test('memory, limit, pids, network and block I/O of a container holding 20 MiB', async () => {
    const a = await cg.mem.until(() => cg.mem.samples.at(-1), 'a cgroup sample');
    const b = await dk.mem.until(() => dk.mem.samples.at(-1), 'a Docker API sample');
    assert.ok(a.mem.used > 20 * 2 ** 20, `${a.mem.used}`);
    assert.ok(Math.abs(a.mem.used - b.mem.used) <= b.mem.used * 0.05, `memory: cgroup ${a.mem.used} vs Docker ${b.mem.used}`);
    assert.equal(a.mem.limit, b.mem.limit);
    assert.equal(a.pids, b.pids);
    assert.deepEqual([a.blk.read, a.blk.write], [b.blk.read, b.blk.write]);
    // An idle container on the default bridge still receives the odd multicast packet between two reads.
    assert.ok(Math.abs(a.net.rx - b.net.rx) <= 1024 && Math.abs(a.net.tx - b.net.tx) <= 1024, `net ${JSON.stringify([a.net, b.net])}`);
  });

  test('block I/O of a container that wrote 20 MiB with direct I/O', { skip: host.blockIo }, async () => {
    const written = (r: Recorder): Sample | undefined => r.samples.findLast((s) => s.blk.write >= 20 * 2 ** 20);
    const a = await cg.blk.until(() => written(cg.blk), 'the writes in the cgroup source');
    const b = await dk.blk.until(() => written(dk.blk), 'the writes in the Docker API');
    assert.deepEqual([a.blk.read, a.blk.write], [b.blk.read, b.blk.write]);
  });

  test('a restart: samples resume from the new cgroup and process, with CPU near 50 % again', async (t) => {
    const before = cg.burn.samples.length;
    const restarted = Date.now();
    await docker(['restart', '-t', '0', burn]);
    const start = hostTicks();
    const figures = (): Sample[] => cg.burn.samples.slice(before).filter((s) => s.t > restarted && s.cpu !== null);
    // The second: the first may cover the moments before the new process began its loop.
    const after = await cg.burn.until(() => figures()[1], 'a CPU figure after the restart');
    assert.equal(cg.burn.states.at(-1), 'running');
    assert.ok(after.cpu! <= 55, `${after.cpu}`);
    const idle = idleCpus(start, hostTicks());
    if (idle < 0.5) return t.diagnostic(`host saturated (${idle.toFixed(2)} CPUs idle): cgroup ${after.cpu}`);
    assert.ok(Math.abs(after.cpu! - 50) <= 5, `${after.cpu} (${idle.toFixed(2)} CPUs idle)`);
  });

  test('a stop: both sources say stopped, and the cgroup source stops reading', async () => {
    await containers.stop(mem);
    await cg.mem.until(() => cg.mem.states.at(-1) === 'stopped', 'stopped from the cgroup source');
    await dk.mem.until(() => dk.mem.states.at(-1) === 'stopped', 'stopped from the Docker API');
    const count = cg.mem.samples.length;
    const burnCount = cg.burn.samples.length;
    await cg.burn.until(() => cg.burn.samples.length >= burnCount + 2, 'two more ticks');
    assert.equal(cg.mem.samples.length, count);
    // A stopped container is no longer read, but it stays watched.
    assert.equal(cgroup.streams.open, blk ? 3 : 2);
  });
});
