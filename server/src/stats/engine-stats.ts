/**
 * Parses one frame of the Docker Engine stats stream (`GET /containers/{id}/stats?stream=1`) into the few
 * numbers `docker stats` works from. Field names follow moby's `container.StatsResponse`.
 */
import type { JsonObject, Result, UnreportedFigure } from '@dockpulse/shared';
import { err, isObject, ok } from '@dockpulse/shared';

/** One reading of a container that is running (or paused). Byte and nanosecond counters are totals since it started. */
export interface EngineReading {
  kind: 'running';
  /** The engine's read time, ms since the epoch; keeps the sub-millisecond part so rates over short intervals stay exact. */
  read: number;
  /** `cpu_stats.cpu_usage.total_usage`, ns. */
  cpuTotal: number;
  /** `cpu_stats.system_cpu_usage`, ns; null when absent. */
  systemCpu: number | null;
  /** `cpu_stats.online_cpus`, else the length of `percpu_usage` (cgroup v1 only), else 0. */
  onlineCpus: number;
  /** `precpu_stats.cpu_usage.total_usage`; null when absent. */
  preCpuTotal: number | null;
  /** `precpu_stats.system_cpu_usage`; null when absent or 0 (the first frame of a stream). */
  preSystemCpu: number | null;
  memUsage: number;
  memLimit: number;
  /**
   * The inactive file cache `docker stats` subtracts from `memUsage`, already chosen as docker/cli does:
   * `total_inactive_file` (cgroup v1) when present and below usage, else `inactive_file` (cgroup v2) when
   * present and below usage, else null (nothing to subtract).
   */
  memInactiveFile: number | null;
  /** Received and sent bytes, summed over every interface; 0 without any (`--network none`). */
  netRx: number;
  netTx: number;
  /** Bytes read and written, from `blkio_stats.io_service_bytes_recursive`. */
  blkRead: number;
  blkWrite: number;
  /** `pids_stats.current`; null when absent. */
  pids: number | null;
  /** Figures the engine does not report, whose numbers here are 0 (a rootless Podman's network); absent when none. */
  unreported?: UnreportedFigure[];
}

/** The frame dockerd publishes, once a second, for a container that is stopped or gone: zero read time, empty stats. */
export interface NotRunning {
  kind: 'not-running';
}

/** Go's zero `time.Time` as `encoding/json` writes it: dockerd's mark of a frame with no reading in it. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses one decoded JSON value of the stats stream. Absent optional fields become null or 0; a field that is
 * present with the wrong type, or a frame without `read` or `cpu_stats.cpu_usage.total_usage`, is an error.
 */
export function parseEngineStats(raw: unknown): Result<EngineReading | NotRunning, string> {
  try {
    return ok(parseFrame(raw));
  } catch (e) {
    if (e instanceof FrameError) return err(e.message);
    throw e;
  }
}

/** Thrown only inside this module, so the walk below reads straight through; `parseEngineStats` turns it into `err`. */
class FrameError extends Error {}

function parseFrame(raw: unknown): EngineReading | NotRunning {
  if (!isObject(raw)) throw new FrameError('frame: expected an object');
  const frame = raw;
  const readText = frame['read'];
  if (typeof readText !== 'string') throw new FrameError('read: expected an RFC 3339 string');
  // Checked before anything else: the frame of a container that just stopped keeps its last precpu_stats.
  if (readText === ZERO_TIME) return { kind: 'not-running' };
  const read = parseRfc3339(readText);
  if (read === null) throw new FrameError(`read: not an RFC 3339 time: ${JSON.stringify(readText.slice(0, 40))}`);

  const cpu = object(frame['cpu_stats'], 'cpu_stats');
  const cpuUsage = object(cpu?.['cpu_usage'], 'cpu_stats.cpu_usage');
  const cpuTotal = count(cpuUsage?.['total_usage'], 'cpu_stats.cpu_usage.total_usage');
  if (cpuTotal === undefined) throw new FrameError('cpu_stats.cpu_usage.total_usage: missing');
  const percpu = cpuUsage?.['percpu_usage'] ?? [];
  if (!Array.isArray(percpu)) throw new FrameError('cpu_stats.cpu_usage.percpu_usage: expected an array');
  const online = count(cpu?.['online_cpus'], 'cpu_stats.online_cpus') ?? 0;

  const pre = object(frame['precpu_stats'], 'precpu_stats');
  const preUsage = object(pre?.['cpu_usage'], 'precpu_stats.cpu_usage');
  const preSystemCpu = count(pre?.['system_cpu_usage'], 'precpu_stats.system_cpu_usage') ?? 0;

  const mem = object(frame['memory_stats'], 'memory_stats');
  const memUsage = count(mem?.['usage'], 'memory_stats.usage') ?? 0;
  const memStats = object(mem?.['stats'], 'memory_stats.stats');

  const [netRx, netTx] = networkTotals(frame['networks']);
  const [blkRead, blkWrite] = blockTotals(frame['blkio_stats']);

  return {
    kind: 'running',
    read,
    cpuTotal,
    systemCpu: count(cpu?.['system_cpu_usage'], 'cpu_stats.system_cpu_usage') ?? null,
    onlineCpus: online > 0 ? online : percpu.length,
    preCpuTotal: count(preUsage?.['total_usage'], 'precpu_stats.cpu_usage.total_usage') ?? null,
    preSystemCpu: preSystemCpu > 0 ? preSystemCpu : null,
    memUsage,
    memLimit: count(mem?.['limit'], 'memory_stats.limit') ?? 0,
    memInactiveFile: inactiveFile(memStats, memUsage),
    netRx,
    netTx,
    blkRead,
    blkWrite,
    pids: count(object(frame['pids_stats'], 'pids_stats')?.['current'], 'pids_stats.current') ?? null,
  };
}

/** docker/cli `calculateMemUsageUnixNoCache`: each key counts only when it is below usage, v1's hierarchical key first. */
function inactiveFile(stats: JsonObject | undefined, usage: number): number | null {
  const v1 = count(stats?.['total_inactive_file'], 'memory_stats.stats.total_inactive_file');
  if (v1 !== undefined && v1 < usage) return v1;
  const v2 = count(stats?.['inactive_file'], 'memory_stats.stats.inactive_file');
  if (v2 !== undefined && v2 < usage) return v2;
  return null;
}

function networkTotals(raw: unknown): [number, number] {
  const networks = object(raw, 'networks');
  let rx = 0;
  let tx = 0;
  for (const [name, value] of Object.entries(networks ?? {})) {
    if (!isObject(value)) throw new FrameError(`networks.${name}: expected an object`);
    const iface = value;
    rx += count(iface['rx_bytes'], `networks.${name}.rx_bytes`) ?? 0;
    tx += count(iface['tx_bytes'], `networks.${name}.tx_bytes`) ?? 0;
  }
  return [rx, tx];
}

function blockTotals(raw: unknown): [number, number] {
  const entries = object(raw, 'blkio_stats')?.['io_service_bytes_recursive'];
  if (entries === undefined || entries === null) return [0, 0];
  if (!Array.isArray(entries)) throw new FrameError('blkio_stats.io_service_bytes_recursive: expected an array');
  let read = 0;
  let write = 0;
  for (const [i, entry] of entries.entries()) {
    const path = `blkio_stats.io_service_bytes_recursive[${i}]`;
    if (!isObject(entry) || typeof entry['op'] !== 'string') throw new FrameError(`${path}: expected {op, value}`);
    const value = count(entry['value'], `${path}.value`) ?? 0;
    // cgroup v1 writes "Read"/"Write" (plus Sync, Async, Discard, Total); v2 writes "read"/"write".
    const op = entry['op'].toLowerCase();
    if (op === 'read') read += value;
    else if (op === 'write') write += value;
  }
  return [read, write];
}

/** An object, or undefined when absent or null; anything else is an error. */
function object(v: unknown, path: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new FrameError(`${path}: expected an object`);
  return v;
}

/** A non-negative finite number, or undefined when absent or null; anything else is an error. */
function count(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FrameError(`${path}: expected a non-negative number`);
  return v;
}

/** RFC 3339 with up to nanosecond precision (Go's RFC3339Nano) to ms since the epoch, or null when malformed. */
function parseRfc3339(s: string): number | null {
  const m = RFC3339.exec(s);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000;
  const offset = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000;
  return date.getTime() + fraction - offset;
}
