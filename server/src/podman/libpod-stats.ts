/**
 * Parses one frame of Podman's own stats stream (`GET /v4.0.0/libpod/containers/stats?stream=true&interval=1`),
 * the figures `podman stats` prints, into the `EngineReading` that `toSample` turns into a sample. Field names
 * follow libpod's `define.ContainerStats`.
 *
 * Podman computes these as `podman stats` shows them, and they are mapped so that the same `toSample` formulas
 * give Podman's figures back: its CPU percentage is the CPU time used over the wall-clock time between two
 * readings (`SystemNano` is a wall-clock time in ns, not the host's CPU time as in Docker's frames), so the
 * wall-clock time stands in for the system CPU time with one CPU; its memory usage includes the page cache
 * (Podman 4.3 subtracts nothing), so there is no inactive file cache to subtract. Its network figures are
 * the container's, named from the other end (see `libpodReading`).
 */
import { err, isObject, ok, type Result, type UnreportedFigure } from '@dockpulse/shared';
import type { EngineReading, NotRunning } from '../stats/engine-stats.js';
import type { PodmanIdentity } from './engine-identity.js';

/** One container's entry of a frame, with only the fields read. */
export interface LibpodEntry {
  id: string;
  /** `CPUNano`: CPU time used since the container started, ns. */
  cpuNano: number;
  /** `SystemNano`: when Podman read it, ns since the epoch; 0 for a container that is not running. */
  systemNano: number;
  memUsage: number;
  memLimit: number;
  netInput: number;
  netOutput: number;
  blockInput: number;
  blockOutput: number;
  pids: number;
}

/** The number fields of an entry, and where each goes. */
const FIELDS = {
  CPUNano: 'cpuNano',
  SystemNano: 'systemNano',
  MemUsage: 'memUsage',
  MemLimit: 'memLimit',
  NetInput: 'netInput',
  NetOutput: 'netOutput',
  BlockInput: 'blockInput',
  BlockOutput: 'blockOutput',
  PIDs: 'pids',
} as const satisfies Record<string, keyof LibpodEntry>;

/**
 * The entry of container `id` in one decoded frame, `{"Error": …, "Stats": [ … ]}`. A frame with an error, or
 * without an entry for `id`, or with a field of the wrong type, is an error.
 */
export function parseLibpodFrame(raw: unknown, id: string): Result<LibpodEntry, string> {
  if (!isObject(raw)) return err('frame: expected an object');
  const error = raw['Error'];
  if (error !== null && error !== undefined) {
    const text =
      typeof error === 'string' ? error : isObject(error) && typeof error['message'] === 'string' ? error['message'] : 'unreadable';
    return err(`podman: ${text.slice(0, 200)}`);
  }
  const stats = raw['Stats'];
  if (!Array.isArray(stats)) return err('Stats: expected an array');
  const found: unknown = stats.find((s: unknown) => isObject(s) && s['ContainerID'] === id);
  if (!isObject(found)) return err(`Stats: no entry for container ${id.slice(0, 12)}`);
  const entry: LibpodEntry = {
    id,
    cpuNano: 0,
    systemNano: 0,
    memUsage: 0,
    memLimit: 0,
    netInput: 0,
    netOutput: 0,
    blockInput: 0,
    blockOutput: 0,
    pids: 0,
  };
  for (const [field, key] of Object.entries(FIELDS)) {
    const v = found[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return err(`Stats[].${field}: expected a non-negative number`);
    entry[key] = v;
  }
  return ok(entry);
}

/**
 * The reading an entry stands for, against `prev`, the previous reading of the same stream (Podman's frames
 * carry no previous reading of their own). A container that is not running comes as an entry of zeros.
 * `podman` says what this engine cannot report at all: a rootless one reads no network, and none reads what
 * its containers' cgroups have no controller for.
 */
export function libpodReading(entry: LibpodEntry, prev: EngineReading | undefined, podman: PodmanIdentity): EngineReading | NotRunning {
  if (entry.systemNano === 0) return { kind: 'not-running' };
  const reading: EngineReading = {
    kind: 'running',
    read: entry.systemNano / 1e6,
    cpuTotal: entry.cpuNano,
    systemCpu: entry.systemNano,
    onlineCpus: 1,
    preCpuTotal: prev?.cpuTotal ?? null,
    preSystemCpu: prev?.systemCpu ?? null,
    memUsage: entry.memUsage,
    memLimit: entry.memLimit,
    memInactiveFile: null,
    // Podman 4 fills `NetInput` with the bytes the container's interface sent and `NetOutput` with those it
    // received (libpod's stats.go: `NetInput = TxBytes`), so `podman stats` prints them the other way round.
    // A sample's rx is what the container received, as the kernel and Docker count it.
    netRx: entry.netOutput,
    netTx: entry.netInput,
    blkRead: entry.blockInput,
    blkWrite: entry.blockOutput,
    pids: entry.pids,
  };
  const unreported = unreportedBy(podman, entry.memUsage === 0);
  if (unreported.length > 0) reading.unreported = unreported;
  return reading;
}

/**
 * What a Podman engine does not report: network when rootless (Podman 4 skips reading it there), memory and
 * block I/O when its containers get no memory or io controller (a rootless cgroup v2 without them delegated).
 * `noMemory` adds memory for a running container charged nothing, which only a missing controller explains.
 */
export function unreportedBy(podman: PodmanIdentity, noMemory = false): UnreportedFigure[] {
  const has = (...names: string[]): boolean => podman.controllers === undefined || names.some((n) => podman.controllers!.includes(n));
  const out: UnreportedFigure[] = [];
  if (noMemory || !has('memory')) out.push('mem');
  if (podman.rootless) out.push('net');
  if (!has('io', 'blkio')) out.push('blk');
  return out;
}

/**
 * A reading of a Podman container's cgroup files as `podman stats` would show it: memory with its page cache in
 * it, since Podman 4.3 subtracts nothing (Docker subtracts the inactive file cache).
 */
export function asPodmanReports(reading: EngineReading): EngineReading {
  return { ...reading, memInactiveFile: null };
}
