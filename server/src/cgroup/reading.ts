/**
 * Turns the bytes of a container's cgroup files into the `EngineReading` the Docker source would have parsed
 * from dockerd's stats frame, so that `toSample` applies the very same `docker stats` formulas to both.
 */
import { err, ok, type Result } from '@dockpulse/shared';
import type { EngineReading } from '../stats/engine-stats.js';
import type { ContainerBuffers } from './container-files.js';
import {
  ABSENT,
  FlatKey,
  UNLIMITED,
  countIn,
  cpuUsageV2,
  effectiveMemLimit,
  flatKeyed,
  inactiveFileOf,
  keyedIn,
  limitIn,
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

/** The message of a parse that failed. */
const whyNot = (r: Result<unknown, string>): string => (r.ok ? 'unreadable' : r.error);

/** What is read of the host, once for a batch of containers. */
export interface HostReading {
  /** /proc/stat CPU time, ns, as dockerd sums it. */
  systemCpuNs: number;
  onlineCpus: number;
  /** /proc/meminfo `MemTotal`, bytes: the limit of a container without one. */
  memTotal: number;
}

/**
 * The reading of one container at `read` (ms since the epoch), from its files as `ContainerFiles.read` left
 * them in `files`. `prev`, this container's previous reading, plays the part of dockerd's `precpu_stats`;
 * without it CPU is null in the sample, as on the first frame of a Docker stats stream. When the memory limit
 * was not read this time, `prev`'s stands.
 */
export function toEngineReading(
  version: 1 | 2,
  files: ContainerBuffers,
  net: NetTotals,
  host: HostReading,
  prev: EngineReading | undefined,
  read: number,
): Result<EngineReading, string> {
  const { cpu, memUsage: usageFile, memLimit: limitFile, memStat, io: ioFile, pids: pidsFile } = files;
  let cpuTotal: number;
  if (version === 1) {
    cpuTotal = countIn(cpu.bytes, cpu.length);
    if (cpuTotal < 0) return err(`cpuacct.usage: ${whyNot(parseCount(cpu.bytes, cpu.length))}`);
  } else {
    const usec = keyedIn(cpu.bytes, cpu.length, USAGE_USEC);
    if (usec === -1) return err(`cpu.stat: ${whyNot(flatKeyed(cpu.bytes, USAGE_USEC, cpu.length))}`);
    const usage = cpuUsageV2(usec === ABSENT ? undefined : usec);
    if (!usage.ok) return usage;
    cpuTotal = usage.value;
  }
  const memUsage = countIn(usageFile.bytes, usageFile.length);
  if (memUsage < 0) return err(`memory usage: ${whyNot(parseCount(usageFile.bytes, usageFile.length))}`);
  let memLimit: number;
  if (limitFile.length >= 0) {
    const limit = limitIn(limitFile.bytes, limitFile.length);
    if (limit === -1) return err(`memory limit: ${whyNot(parseMemoryLimit(limitFile.bytes, limitFile.length))}`);
    memLimit = effectiveMemLimit(limit === UNLIMITED ? null : limit, host.memTotal);
  } else if (prev !== undefined) {
    memLimit = prev.memLimit;
  } else {
    return err('memory limit: not read');
  }
  const total = keyedIn(memStat.bytes, memStat.length, TOTAL_INACTIVE_FILE);
  const own = keyedIn(memStat.bytes, memStat.length, INACTIVE_FILE);
  if (total === -1 || own === -1) {
    const bad = flatKeyed(memStat.bytes, total === -1 ? TOTAL_INACTIVE_FILE : INACTIVE_FILE, memStat.length);
    return err(`memory.stat: ${whyNot(bad)}`);
  }
  let io: IoBytes = NO_IO;
  if (ioFile.length >= 0) {
    const parsed = version === 1 ? parseBlkioV1(ioFile.bytes, ioFile.length) : parseIoStatV2(ioFile.bytes, ioFile.length);
    if (!parsed.ok) return err(`${version === 1 ? 'blkio' : 'io.stat'}: ${parsed.error}`);
    io = parsed.value;
  }
  let pids: number | null = null;
  if (pidsFile.length >= 0) {
    pids = countIn(pidsFile.bytes, pidsFile.length);
    if (pids < 0) return err(`pids.current: ${whyNot(parseCount(pidsFile.bytes, pidsFile.length))}`);
  }
  return ok({
    kind: 'running',
    read,
    cpuTotal,
    systemCpu: host.systemCpuNs,
    onlineCpus: host.onlineCpus,
    preCpuTotal: prev?.cpuTotal ?? null,
    preSystemCpu: prev?.systemCpu ?? null,
    memUsage,
    memLimit,
    memInactiveFile: inactiveFileOf(total === ABSENT ? undefined : total, own === ABSENT ? undefined : own, memUsage),
    netRx: net.rx,
    netTx: net.tx,
    blkRead: io.read,
    blkWrite: io.write,
    pids,
  });
}
