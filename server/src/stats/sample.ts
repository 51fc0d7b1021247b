/**
 * Turns engine readings into the `Sample` a client sees, with the formulas of docker/cli
 * `cli/command/container/stats_helpers.go` (`calculateCPUPercentUnix`, `calculateMemUsageUnixNoCache`,
 * `calculateMemPercentUnixNoCache`, `calculateNetwork`, `calculateBlockIO`), less the CLI's lifetime-average
 * CPU figure on a stream's first frame.
 */
import type { Sample } from '@dockpulse/shared';
import type { EngineReading } from './engine-stats.js';

/**
 * The sample for `cur`. CPU comes from the engine's own previous reading inside `cur` (`precpu_stats`), as
 * `docker stats` does; `prev`, the reading this container's stream delivered before `cur`, is used only
 * for the per-second rates, which are null without it or when a counter went backwards (the container restarted).
 */
export function toSample(host: string, id: string, cur: EngineReading, prev: EngineReading | undefined): Sample {
  const inactive = cur.memInactiveFile;
  const used = inactive !== null && inactive < cur.memUsage ? cur.memUsage - inactive : cur.memUsage;
  const seconds = prev === undefined ? 0 : (cur.read - prev.read) / 1000;
  const sample: Sample = {
    host,
    id,
    t: Math.floor(cur.read),
    cpu: cpuPercent(cur),
    cpuTime: cur.cpuTotal / 1e9,
    mem: { used, limit: cur.memLimit, percent: cur.memLimit > 0 ? (used / cur.memLimit) * 100 : null, charged: cur.memUsage },
    net: { rx: cur.netRx, tx: cur.netTx, rxRate: rate(cur.netRx, prev?.netRx, seconds), txRate: rate(cur.netTx, prev?.netTx, seconds) },
    blk: {
      read: cur.blkRead,
      write: cur.blkWrite,
      readRate: rate(cur.blkRead, prev?.blkRead, seconds),
      writeRate: rate(cur.blkWrite, prev?.blkWrite, seconds),
    },
    pids: cur.pids,
  };
  if (cur.unreported !== undefined && cur.unreported.length > 0) sample.unreported = cur.unreported;
  return sample;
}

/** A counter's change per second; null without an earlier value, or when it went backwards (a restart). */
function rate(now: number, before: number | undefined, seconds: number): number | null {
  return before === undefined || seconds <= 0 || now < before ? null : (now - before) / seconds;
}

/** Percent of one core. Null, not the CLI's average since start, when the frame carries no previous reading. */
function cpuPercent(r: EngineReading): number | null {
  if (r.systemCpu === null || r.preCpuTotal === null || r.preSystemCpu === null || r.preSystemCpu === 0) return null;
  const cpuDelta = r.cpuTotal - r.preCpuTotal;
  const systemDelta = r.systemCpu - r.preSystemCpu;
  // As the CLI: a paused or idle container (no CPU delta) or two reads within one system tick read as 0.
  return cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * r.onlineCpus * 100 : 0;
}
