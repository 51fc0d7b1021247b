/**
 * The cgroup source holds each running container's stats files and its /proc/<pid>/net/dev open between reads.
 * These tests stop, restart and remove real containers under those descriptors and check what is read next:
 * nothing stale, and no descriptor left holding the old cgroup or network namespace. The container list is the
 * engine's own, except where a test holds it back (`LaggingList`) to show what the files alone tell, as when
 * the cgroup goes before the engine's event arrives.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Docker from 'dockerode';
import type { ContainerSummary, EngineStatus } from '@dockpulse/shared';
import type { Engine } from '../src/docker/engine.js';
import { ContainerList } from '../src/docker/container-list.js';
import { silentLogger } from '../src/log.js';
import { CgroupStatsSource } from '../src/cgroup/cgroup-source.js';
import { enginePidLookup } from '../src/cgroup/container-process.js';
import { detectCgroupAccess } from '../src/cgroup/detect.js';
import { parseNetDev } from '../src/cgroup/proc-parse.js';
import { locateContainer, type CgroupLayout } from '../src/cgroup/layout.js';
import { STATS_FILES } from '../src/cgroup/container-files.js';
import type { ContainerDirectory } from '../src/source/source.js';
import { Recorder } from '../src/testing/recorder.js';
import { TestContainers, docker, ensureTestImage } from './helpers/docker.js';
import { hostFeatures } from './helpers/host-features.js';

/** A bound on waiting for a condition, so that a failure ends the test instead of hanging it. */
const WAIT_MS = 60_000;

const host = await hostFeatures();

/**
 * The engine's container list until `holdBack(id)`; from then on it goes on saying what it said of that
 * container, and tells nobody of a change, while the engine moves on.
 */
class LaggingList implements ContainerDirectory {
  private readonly held = new Map<string, ContainerSummary | undefined>();

  constructor(private readonly list: ContainerList) {}

  get engineStatus(): EngineStatus {
    return this.list.engineStatus;
  }
  get isReady(): boolean {
    return this.list.isReady;
  }
  get isSettled(): boolean {
    return this.list.isSettled;
  }
  get(id: string): ContainerSummary | undefined {
    return this.held.has(id) ? this.held.get(id) : this.list.get(id);
  }
  all(): ContainerSummary[] {
    return this.list.all().map((c) => (this.held.has(c.id) ? this.held.get(c.id)! : c));
  }
  onChange(fn: () => void): () => void {
    return this.list.onChange(() => {
      if (this.held.size === 0) fn();
    });
  }
  holdBack(id: string): void {
    this.held.set(id, this.list.get(id));
  }
}

/** This process's descriptors open on a container's cgroup files or on process `pid`'s /proc files. */
function descriptorsOn(id: string, pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.includes(id) || target.startsWith(`/proc/${pid}/`)) out.push(target);
    } catch {
      // Closed between readdir and readlink.
    }
  }
  return out;
}

const inspect = async (id: string, format: string): Promise<string> => docker(['inspect', '--format', format, id]);
const pidOf = async (id: string): Promise<number> => Number(await inspect(id, '{{.State.Pid}}'));

/** Sends `bytes` of UDP to the container's address, which its interface counts as received. */
async function sendTo(id: string, bytes: number): Promise<void> {
  const address = await inspect(id, '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}');
  assert.ok(address, `container ${id.slice(0, 12)} has no address`);
  const socket = createSocket('udp4');
  try {
    const datagram = Buffer.alloc(1000);
    for (let sent = 0; sent < bytes; sent += datagram.length) {
      await new Promise<void>((ok, fail) => socket.send(datagram, 9, address, (e) => (e ? fail(e) : ok())));
    }
  } finally {
    socket.close();
  }
}

/** Received bytes of the container's interfaces, as its process's net/dev says now. */
function receivedBy(pid: number): number {
  const parsed = parseNetDev(readFileSync(`/proc/${pid}/net/dev`, 'latin1'));
  assert.ok(parsed.ok);
  return parsed.value.rx;
}

describe('descriptors held across reads, under stops, restarts and removals', { skip: host.cgroupFiles ?? host.network }, () => {
  const engine: Engine = { docker: new Docker({ socketPath: '/var/run/docker.sock' }), endpoint: 'unix:///var/run/docker.sock' };
  const containers = new TestContainers();
  const lifetime = new AbortController();
  let list: ContainerList;
  let lagging: LaggingList;
  let listDone: Promise<void> = Promise.resolve();
  let layout: CgroupLayout;
  const pids = enginePidLookup(engine);

  before(async () => {
    await ensureTestImage();
    list = new ContainerList('local', engine, silentLogger);
    lagging = new LaggingList(list);
    listDone = list.run(lifetime.signal);
    const probe = await containers.run('held-probe', ['sleep', '1d']);
    const detected = detectCgroupAccess({ endpoint: engine.endpoint, running: [{ id: probe, pid: await pids(probe, lifetime.signal) }] });
    assert.ok(detected.ok, detected.ok ? '' : detected.error);
    layout = detected.value;
  });

  after(async () => {
    lifetime.abort();
    await listDone;
    await containers.removeAll();
  });

  /** A source over `directory`, watching `id`, with what it sends recorded; stopped with the test. */
  function watch(
    directory: ContainerDirectory,
    id: string,
    signal: AbortSignal,
    limitEvery?: number,
  ): { source: CgroupStatsSource; rec: Recorder } {
    const source = new CgroupStatsSource({ host: 'local', layout, list: directory, pids, log: silentLogger, limitEvery });
    const rec = new Recorder(WAIT_MS);
    source.watch(id, rec, signal);
    return { source, rec };
  }

  test('a stop the list reports: the container reads as stopped, and nothing of it is held', async () => {
    const id = await containers.run('held-stop', ['sleep', '1d']);
    const pid = await pidOf(id);
    const watching = new AbortController();
    try {
      const { rec } = watch(list, id, watching.signal);
      await rec.until(() => rec.samples.length >= 2, 'two samples');
      assert.equal(descriptorsOn(id, pid).length, 7, `six cgroup files and net/dev: ${descriptorsOn(id, pid).join(', ')}`);
      await containers.stop(id);
      await rec.until(() => rec.states.at(-1) === 'stopped', 'stopped');
      assert.deepEqual(descriptorsOn(id, pid), []);
    } finally {
      watching.abort();
    }
  });

  test('a stop the list has not heard of: the vanished cgroup says stopped, and the namespace is let go', async () => {
    const id = await containers.run('held-stop-unheard', ['sleep', '1d']);
    const pid = await pidOf(id);
    const watching = new AbortController();
    try {
      const { rec } = watch(lagging, id, watching.signal);
      await rec.until(() => rec.samples.length >= 2, 'two samples');
      lagging.holdBack(id);
      await containers.stop(id);
      await rec.until(() => rec.states.at(-1) === 'stopped', 'stopped, from the files alone');
      assert.equal(lagging.get(id)?.state, 'running', 'the list still says running');
      const count = rec.samples.length;
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(rec.samples.length, count, 'no sample of a stopped container');
      assert.deepEqual(descriptorsOn(id, pid), [], 'its net/dev would hold its network namespace');
    } finally {
      watching.abort();
    }
  });

  test('a restart the list has not heard of: samples come from the new cgroup and the new network namespace', async () => {
    const id = await containers.run('held-restart', ['sleep', '1d']);
    const oldPid = await pidOf(id);
    const watching = new AbortController();
    try {
      const { rec } = watch(lagging, id, watching.signal);
      // Traffic the old namespace counts and the new one will not have.
      await sendTo(id, 200_000);
      await rec.until(() => rec.samples.some((s) => s.net.rx >= 200_000), 'the traffic in a sample');
      lagging.holdBack(id);
      await docker(['restart', '-t', '0', id]);
      const restarted = Date.now();
      const newPid = await pidOf(id);
      assert.notEqual(newPid, oldPid);
      // Traffic only the new namespace counts. A descriptor still open on the old one would read its counters,
      // frozen, and only of `lo` (the engine took its interface away): this traffic would never show.
      await sendTo(id, 300_000);
      const after = await rec.until(
        () => rec.samples.find((s) => s.t > restarted && s.net.rx >= 300_000),
        "the new namespace's traffic in a sample",
      );
      assert.ok(after.net.rx < 500_000, `received ${after.net.rx} bytes: the old namespace's 200,000 are not counted again`);
      assert.ok(Math.abs(after.net.rx - receivedBy(newPid)) <= 4096, `${after.net.rx} against ${receivedBy(newPid)} in its net/dev`);
      assert.equal(rec.states.at(-1), 'running');
      assert.deepEqual(
        descriptorsOn(id, oldPid).filter((d) => d.startsWith(`/proc/${oldPid}/`)),
        [],
        "the old process's net/dev",
      );
    } finally {
      watching.abort();
    }
  });

  test('a removal: the watch ends with removed, and nothing of the container is held', async () => {
    const id = await containers.run('held-remove', ['sleep', '1d']);
    const pid = await pidOf(id);
    const watching = new AbortController();
    try {
      const { source, rec } = watch(list, id, watching.signal);
      await rec.until(() => rec.samples.length >= 2, 'two samples');
      const held = source.heldFiles;
      await containers.remove(id);
      await rec.until(() => rec.states.at(-1) === 'removed', 'removed');
      assert.deepEqual(descriptorsOn(id, pid), []);
      assert.equal(source.heldFiles, held - 7);
    } finally {
      watching.abort();
    }
  });

  test('a memory limit changed by docker update shows at once; one written to the cgroup file, within limitEvery readings', async () => {
    const id = await containers.run('held-limit', ['sleep', '1d']);
    const watching = new AbortController();
    const MiB = 2 ** 20;
    try {
      // Read every 1,000 readings but for a change to the list: only the update's event can bring the new limit.
      const { rec } = watch(list, id, watching.signal, 1000);
      await rec.until(() => rec.samples.length >= 2, 'two samples');
      assert.ok(rec.samples.at(-1)!.mem.limit > 512 * MiB, "no limit at first: the machine's memory");
      await docker(['update', '--memory', '96m', '--memory-swap', '192m', id]);
      const updated = rec.samples.length;
      const seen = await rec.until(() => rec.samples.slice(updated).find((s) => s.mem.limit === 96 * MiB), 'the new limit');
      assert.ok(
        rec.samples.indexOf(seen) - updated <= 3,
        `the new limit came ${rec.samples.indexOf(seen) - updated} readings after the update`,
      );
    } finally {
      watching.abort();
    }
    const writing = new AbortController();
    try {
      // A lagging list hears of nothing: the limit written behind the engine's back shows from the files alone.
      const { rec } = watch(lagging, id, writing.signal, 3);
      await rec.until(() => rec.samples.at(-1)?.mem.limit === 96 * MiB, 'the updated limit');
      lagging.holdBack(id);
      const dirs = locateContainer(layout, id, await pidOf(id));
      assert.ok(dirs);
      writeFileSync(join(dirs.memory, STATS_FILES[layout.version].memLimit), String(80 * MiB));
      const written = rec.samples.length;
      const seen = await rec.until(() => rec.samples.slice(written).find((s) => s.mem.limit === 80 * MiB), 'the written limit');
      assert.ok(rec.samples.indexOf(seen) - written <= 3, `the written limit came ${rec.samples.indexOf(seen) - written} readings later`);
    } finally {
      writing.abort();
    }
  });
});
