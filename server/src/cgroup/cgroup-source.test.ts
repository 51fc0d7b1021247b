import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ContainerState, ContainerSummary, EngineStatus } from '@dockpulse/shared';
import { silentLogger } from '../log.js';
import { CgroupStatsSource, type CgroupSourceOptions } from './cgroup-source.js';
import { findLayout } from './layout.js';
import type { ContainerDirectory } from '../source/source.js';
import { Recorder } from '../testing/recorder.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/v2-cgroupfs', import.meta.url));
const ID = '67bd92af4c3681b0e3a75c20bab1d6da4f6aea60f59f68b82def401dd7481e0c';
/** A second container, same files, always running: its samples show that ticks happened. */
const WITNESS = 'c'.repeat(64);
const PID = 4242;
const WAIT_MS = 5000;

/** The container list as far as a stats source sees it, driven by the test. */
class FakeList implements ContainerDirectory {
  engineStatus: EngineStatus = { status: 'up', endpoint: 'unix:///fake.sock' };
  isReady = true;
  isSettled = true;
  private readonly containers = new Map<string, ContainerSummary>();
  private readonly listeners = new Set<() => void>();

  get(id: string): ContainerSummary | undefined {
    return this.containers.get(id);
  }

  all(): ContainerSummary[] {
    return [...this.containers.values()];
  }

  onChange(fn: () => void): () => boolean {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  set(id: string, state: ContainerState | 'gone'): void {
    if (state === 'gone') this.containers.delete(id);
    else this.containers.set(id, { host: 'h1', id, name: id.slice(0, 12), image: 'local/busybox:latest', state, status: '', createdAt: 0 });
    this.emit();
  }

  engine(status: 'up' | 'down'): void {
    this.engineStatus = { status, endpoint: 'unix:///fake.sock' };
    this.emit();
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

let root: string;
let list: FakeList;
const aborts: AbortController[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'dpcg-source-'));
  cpSync(FIXTURE, root, { recursive: true });
  cpSync(join(root, 'sys/fs/cgroup/docker', ID), join(root, 'sys/fs/cgroup/docker', WITNESS), { recursive: true });
  list = new FakeList();
  list.set(ID, 'running');
  list.set(WITNESS, 'running');
});

afterEach(() => {
  for (const a of aborts.splice(0)) a.abort();
  rmSync(root, { recursive: true, force: true });
});

function source(extra: Partial<CgroupSourceOptions> = {}): CgroupStatsSource {
  const layout = findLayout({ hostRoot: root });
  assert.ok(layout.ok);
  return new CgroupStatsSource({
    host: 'h1',
    layout: layout.value,
    list,
    pids: () => Promise.resolve(PID),
    log: silentLogger,
    intervalMs: 10,
    ...extra,
  });
}

function watch(src: CgroupStatsSource, id: string): Recorder {
  const rec = new Recorder(WAIT_MS);
  const ac = new AbortController();
  aborts.push(ac);
  src.watch(id, rec, ac.signal);
  return rec;
}

const cgroupFile = (id: string, name: string): string => join(root, 'sys/fs/cgroup/docker', id, name);

/** Adds `usec` of container CPU time to `id` and `ticks` to every field the host total counts (user). */
function burn(id: string, usec: number, ticks: number): void {
  const cpu = readFileSync(cgroupFile(id, 'cpu.stat'), 'utf8');
  writeFileSync(
    cgroupFile(id, 'cpu.stat'),
    cpu.replace(/^usage_usec (\d+)/m, (_, n: string) => `usage_usec ${Number(n) + usec}`),
  );
  const stat = readFileSync(join(root, 'proc/stat'), 'utf8');
  writeFileSync(
    join(root, 'proc/stat'),
    stat.replace(/^cpu {2}(\d+)/, (_, n: string) => `cpu  ${Number(n) + ticks}`),
  );
}

describe('CgroupStatsSource on a fixture tree', () => {
  test('samples carry docker stats figures; CPU % comes from container and host deltas', async () => {
    const rec = watch(source(), ID);
    const first = await rec.until(() => rec.samples[0], 'a first sample');
    assert.deepEqual(rec.states, ['running']);
    assert.equal(first.cpu, null, 'no previous reading yet');
    assert.equal(first.mem.used, 3145728 - 1048576, 'memory.current − inactive_file');
    assert.equal(first.mem.limit, 268435456);
    assert.deepEqual([first.net.rx, first.net.tx], [5230, 1890]);
    assert.deepEqual([first.blk.read, first.blk.write], [0, 0]);
    assert.equal(first.pids, 1);
    // Half a core for a second on this 2-CPU host: 0.5 s of the container against 2 s (200 ticks) of the host.
    burn(ID, 500_000, 200);
    const busy = await rec.until(() => rec.samples.find((s) => s.cpu !== null && s.cpu > 0), 'a busy sample');
    assert.ok(Math.abs(busy.cpu! - 50) < 1e-9, `${busy.cpu}`);
  });

  test('follows the list: stopped, engine down, running again, removed; nothing is read while not running', async () => {
    const src = source();
    const rec = watch(src, ID);
    const witness = watch(src, WITNESS);
    await rec.until(() => rec.samples.length > 0, 'a sample');
    list.set(ID, 'exited');
    assert.equal(rec.states.at(-1), 'stopped');
    const count = rec.samples.length;
    await witness.more(3);
    assert.equal(rec.samples.length, count, 'no samples while stopped');

    list.engine('down');
    assert.equal(rec.states.at(-1), 'unavailable');
    list.engine('up');
    list.set(ID, 'running');
    await rec.until(() => rec.samples.length > count, 'samples again');
    assert.equal(rec.states.at(-1), 'running');
    assert.equal(rec.samples.at(-1)!.cpu, null, 'a new run starts without a previous reading');

    list.set(ID, 'paused');
    await rec.until(() => rec.states.at(-1) === 'paused', 'paused');
    const whilePaused = rec.samples.length;
    await rec.until(() => rec.samples.length > whilePaused, 'samples while paused, as dockerd sends them');

    list.set(ID, 'gone');
    assert.equal(rec.states.at(-1), 'removed');
    assert.deepEqual(rec.states, ['running', 'stopped', 'unavailable', 'stopped', 'running', 'paused', 'removed']);
  });

  test('a cgroup that vanishes before the list knows reads as stopped, and as running when it is back', async () => {
    // Regular files, unlike cgroup files, stay readable through a held descriptor after a rename: open each time.
    const src = source({ maxHeldFiles: 0 });
    const rec = watch(src, ID);
    const witness = watch(src, WITNESS);
    await rec.until(() => rec.samples.length > 0, 'a sample');
    const dir = join(root, 'sys/fs/cgroup/docker', ID);
    renameSync(dir, `${dir}.gone`);
    await rec.until(() => rec.states.at(-1) === 'stopped', 'stopped');
    const count = rec.samples.length;
    await witness.more(3);
    assert.equal(rec.samples.length, count);
    // A change elsewhere in the list does not make it "running" again while its files are missing.
    list.set('d'.repeat(64), 'running');
    assert.equal(rec.states.at(-1), 'stopped');
    renameSync(`${dir}.gone`, dir);
    await rec.until(() => rec.samples.length > count, 'samples again');
    assert.deepEqual(rec.states, ['running', 'stopped', 'running']);
  });

  test('a host-network container reads 0 network bytes, as dockerd reports no networks for it', async () => {
    mkdirSync(join(root, 'proc', String(PID), 'ns'));
    mkdirSync(join(root, 'proc/4200/ns'), { recursive: true });
    symlinkSync('net:[4026531840]', join(root, 'proc', String(PID), 'ns/net'));
    symlinkSync('net:[4026531840]', join(root, 'proc/4200/ns/net'));
    const rec = watch(source(), ID);
    const s = await rec.until(() => rec.samples[0], 'a sample');
    assert.deepEqual([s.net.rx, s.net.tx], [0, 0]);
  });

  test('samples wait for the pid; a failed lookup is retried', async () => {
    let calls = 0;
    const rec = watch(
      source({
        pids: () => {
          calls++;
          if (calls < 3) return Promise.reject(new Error('engine busy'));
          return Promise.resolve(PID);
        },
        backoff: { baseMs: 1, capMs: 2 },
      }),
      ID,
    );
    const s = await rec.until(() => rec.samples[0], 'a sample');
    assert.equal(calls, 3);
    assert.equal(s.net.rx, 5230, 'the first sample already has the network counters');
  });

  test('a run of readings ends with its batch listeners, after all of its samples, in runs of batchSize', async () => {
    const src = source({ batchSize: 1 });
    const ends: number[][] = [];
    const a = watch(src, ID);
    const b = watch(src, WITNESS);
    // Both pids known and read once, so that every run from here reads (and publishes) one container.
    await a.until(() => a.samples.length >= 1, 'a first sample');
    await b.until(() => b.samples.length >= 1, 'a first sample');
    const off = src.onBatchEnd((last) => ends.push([a.samples.length, b.samples.length, last ? 1 : 0]));
    await b.until(() => b.samples.length >= 4, 'samples');
    off();
    const seen = ends.length;
    assert.ok(seen >= 3, `b's three samples came from three runs, each ending with the listener: ${seen}`);
    await b.until(() => b.samples.length >= 7, 'more samples');
    assert.equal(ends.length, seen, 'a removed listener is not called');
    // One container per run: each run's end follows exactly one new sample, alternately of each container.
    for (let i = 1; i < ends.length; i++) {
      const [da, db] = [ends[i]![0]! - ends[i - 1]![0]!, ends[i]![1]! - ends[i - 1]![1]!];
      assert.equal(da + db, 1, `run ${i}: ${JSON.stringify(ends)}`);
      // a was watched first, so it is read first: the run that reads b is the last of its tick.
      assert.equal(ends[i]![2], db, `run ${i} ends its tick only after both containers: ${JSON.stringify(ends)}`);
    }
  });

  test('the last watch to end stops the timer, leaves the list and closes every file', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const src = source();
    const a = watch(src, ID);
    const b = watch(src, WITNESS);
    await a.until(() => a.samples.length > 1, 'samples');
    await b.until(() => b.samples.length > 1, 'samples');
    assert.equal(src.streams.open, 2);
    assert.equal(src.heldFiles, 1 + 2 * 6, '/proc/stat, and six files per container: five cgroup files (no io.stat here) and net/dev');
    for (const ac of aborts.splice(0)) ac.abort();
    assert.deepEqual(src.streams, { open: 0, opened: 2 });
    assert.equal(src.heldFiles, 0);
    assert.equal(list.listenerCount, 0);
    assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before);
  });
});
