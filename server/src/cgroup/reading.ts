/**
 * Turns the bytes of a container's cgroup files into the `EngineReading` the Docker source would have parsed
 * from dockerd's stats frame, so that `toSample` applies the very same `docker stats` formulas to both.
 */
import { err, ok, type Result } from '@dockpulse/shared';
import type { EngineReading } from '../stats/engine-stats.js';
import type { ContainerBytes } from './container-files.js';
import {
  FlatKey,
  cpuUsageV2,
  effectiveMemLimit,
  flatKeyed,
  inactiveFileOf,
  parseBlkioV1,
  parseCount,
  parseIoStatV2,
  parseMemoryLimit,
  type IoBytes,
} from './cgroup-parse.js';
import type { NetTotals } from './proc-parse.js';

/** What is read of cpu.stat (v2) and memory.stat: all that `docker stats` figures need. */
const USAGE_USEC = new FlatKey('usage_usec');
const TOTAL_INACTIVE_FILE = new FlatKey('total_inactive_file');
const INACTIVE_FILE = new FlatKey('inactive_file');

const NO_IO: IoBytes = { read: 0, write: 0 };

/** What is read of the host, once for a batch of containers. */
export interface HostReading {
  /** /proc/stat CPU time, ns, as dockerd sums it. */
  systemCpuNs: number;
  onlineCpus: number;
  /** /proc/meminfo `MemTotal`, bytes: the limit of a container without one. */
  memTotal: number;
}

/**
 * The reading of one container at `read` (ms since the epoch). `prev`, this container's previous reading,
 * plays the part of dockerd's `precpu_stats`; without it CPU is null in the sample, as on the first frame of a
 * Docker stats stream.
 */
export function toEngineReading(
  version: 1 | 2,
  files: ContainerBytes,
  net: NetTotals,
  host: HostReading,
  prev: EngineReading | undefined,
  read: number,
): Result<EngineReading, string> {
  let cpuTotal: number;
  if (version === 1) {
    const usage = parseCount(files.cpu);
    if (!usage.ok) return err(`cpuacct.usage: ${usage.error}`);
    cpuTotal = usage.value;
  } else {
    const usec = flatKeyed(files.cpu, USAGE_USEC);
    if (!usec.ok) return err(`cpu.stat: ${usec.error}`);
    const usage = cpuUsageV2(usec.value);
    if (!usage.ok) return usage;
    cpuTotal = usage.value;
  }
  const memUsage = parseCount(files.memUsage);
  if (!memUsage.ok) return err(`memory usage: ${memUsage.error}`);
  const memLimit = parseMemoryLimit(files.memLimit);
  if (!memLimit.ok) return err(`memory limit: ${memLimit.error}`);
  const total = flatKeyed(files.memStat, TOTAL_INACTIVE_FILE);
  if (!total.ok) return err(`memory.stat: ${total.error}`);
  const own = flatKeyed(files.memStat, INACTIVE_FILE);
  if (!own.ok) return err(`memory.stat: ${own.error}`);
  let io: IoBytes = NO_IO;
  if (files.io !== undefined) {
    const parsed = version === 1 ? parseBlkioV1(files.io) : parseIoStatV2(files.io);
    if (!parsed.ok) return err(`${version === 1 ? 'blkio' : 'io.stat'}: ${parsed.error}`);
    io = parsed.value;
  }
  let pids: number | null = null;
  if (files.pids !== undefined) {
    const parsed = parseCount(files.pids);
    if (!parsed.ok) return err(`pids.current: ${parsed.error}`);
    pids = parsed.value;
  }
  return ok({
    kind: 'running',
    read,
    cpuTotal,
    systemCpu: host.systemCpuNs,
    onlineCpus: host.onlineCpus,
    preCpuTotal: prev?.cpuTotal ?? null,
    preSystemCpu: prev?.systemCpu ?? null,
    memUsage: memUsage.value,
    memLimit: effectiveMemLimit(memLimit.value, host.memTotal),
    memInactiveFile: inactiveFileOf(total.value, own.value, memUsage.value),
    netRx: net.rx,
    netTx: net.tx,
    blkRead: io.read,
    blkWrite: io.write,
    pids,
  });
}
