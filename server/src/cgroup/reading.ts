/**
 * Turns the texts of a container's cgroup files into the `EngineReading` the Docker source would have parsed
 * from dockerd's stats frame, so that `toSample` applies the very same `docker stats` formulas to both.
 */
import { err, ok, type Result } from '@dockpulse/shared';
import type { EngineReading } from '../stats/engine-stats.js';
import type { ContainerTexts } from './container-files.js';
import {
  cpuUsageV2,
  effectiveMemLimit,
  inactiveFileOf,
  parseBlkioV1,
  parseCount,
  pickFlatKeyed,
  parseIoStatV2,
  parseMemoryLimit,
  type IoBytes,
} from './cgroup-parse.js';
import type { NetTotals } from './proc-parse.js';

/** What is read of cpu.stat (v2) and memory.stat: all that `docker stats` figures need. */
const CPU_KEYS = ['usage_usec'];
const MEMORY_KEYS = ['total_inactive_file', 'inactive_file'];

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
  texts: ContainerTexts,
  net: NetTotals,
  host: HostReading,
  prev: EngineReading | undefined,
  read: number,
): Result<EngineReading, string> {
  let cpuTotal: number;
  if (version === 1) {
    const usage = parseCount(texts.cpu);
    if (!usage.ok) return err(`cpuacct.usage: ${usage.error}`);
    cpuTotal = usage.value;
  } else {
    const stat = pickFlatKeyed(texts.cpu, CPU_KEYS);
    if (!stat.ok) return err(`cpu.stat: ${stat.error}`);
    const usage = cpuUsageV2(stat.value);
    if (!usage.ok) return usage;
    cpuTotal = usage.value;
  }
  const memUsage = parseCount(texts.memUsage);
  if (!memUsage.ok) return err(`memory usage: ${memUsage.error}`);
  const memLimit = parseMemoryLimit(texts.memLimit);
  if (!memLimit.ok) return err(`memory limit: ${memLimit.error}`);
  const memStat = pickFlatKeyed(texts.memStat, MEMORY_KEYS);
  if (!memStat.ok) return err(`memory.stat: ${memStat.error}`);
  let io: IoBytes = { read: 0, write: 0 };
  if (texts.io !== undefined) {
    const parsed = version === 1 ? parseBlkioV1(texts.io) : parseIoStatV2(texts.io);
    if (!parsed.ok) return err(`${version === 1 ? 'blkio' : 'io.stat'}: ${parsed.error}`);
    io = parsed.value;
  }
  let pids: number | null = null;
  if (texts.pids !== undefined) {
    const parsed = parseCount(texts.pids);
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
    memInactiveFile: inactiveFileOf(memStat.value, memUsage.value),
    netRx: net.rx,
    netTx: net.tx,
    blkRead: io.read,
    blkWrite: io.write,
    pids,
  });
}
