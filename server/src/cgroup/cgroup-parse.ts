/**
 * Parsers of the cgroup files a container's stats come from, v1 and v2, one function per file format. Each
 * takes the file's whole text; the kernel writes these formats, so an error means an unexpected kernel, not
 * bad input from a person.
 */
import { err, ok, type Result } from '@dockpulse/shared';

const UINT = /^\d+$/;

/** Bytes read and written, summed over devices. */
export interface IoBytes {
  read: number;
  write: number;
}

/** A file holding one non-negative integer: `cpuacct.usage` (ns), `memory.usage_in_bytes`, `memory.current`, `pids.current`. */
export function parseCount(text: string): Result<number, string> {
  const t = text.trim();
  if (!UINT.test(t)) return err(`expected a non-negative integer, got ${quote(t)}`);
  return ok(Number(t));
}

/**
 * `memory.limit_in_bytes` (v1) or `memory.max` (v2): bytes, or null for v2's `max`. v1 writes no word for
 * "unlimited", only a page-rounded 2^63 − 1; `effectiveMemLimit` caps either at the host's memory.
 */
export function parseMemoryLimit(text: string): Result<number | null, string> {
  return text.trim() === 'max' ? ok(null) : parseCount(text);
}

/**
 * The limit `docker stats` shows: dockerd replaces a limit above the machine's memory (no limit set) with the
 * machine's memory (`MemTotal`), in both its cgroup v1 and v2 paths.
 */
export function effectiveMemLimit(limit: number | null, memTotal: number): number {
  if (limit === null) return memTotal;
  return limit > memTotal && memTotal > 0 ? memTotal : limit;
}

/**
 * The values of `keys` in a flat-keyed file, found without splitting the rest: the file is read every second
 * for every container, memory.stat has 35 to 60 lines, and one or two of them are wanted. A key the file
 * does not have is absent from the result; a wanted line whose value is not an integer is an error.
 */
export function pickFlatKeyed(text: string, keys: readonly string[]): Result<Map<string, number>, string> {
  const out = new Map<string, number>();
  for (const key of keys) {
    let at = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `);
    if (at < 0) continue;
    if (text.charCodeAt(at) === 10) at++;
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const value = text.slice(at + key.length + 1, end);
    if (!UINT.test(value)) return err(`expected "key value", got ${quote(text.slice(at, end))}`);
    out.set(key, Number(value));
  }
  return ok(out);
}

/** v2 `cpu.stat`'s total CPU time in ns: `usage_usec` × 1000, as containerd reports it to dockerd. */
export function cpuUsageV2(stat: ReadonlyMap<string, number>): Result<number, string> {
  const usec = stat.get('usage_usec');
  return usec === undefined ? err('cpu.stat: no usage_usec') : ok(usec * 1000);
}

/**
 * The inactive file cache `docker stats` subtracts from usage, chosen as docker/cli's
 * `calculateMemUsageUnixNoCache` does from dockerd's `memory_stats.stats`: v1's `total_inactive_file` when it
 * is below usage, else `inactive_file` (v2's key, and also present in v1) when below usage, else nothing.
 */
export function inactiveFileOf(stat: ReadonlyMap<string, number>, usage: number): number | null {
  const total = stat.get('total_inactive_file');
  if (total !== undefined && total < usage) return total;
  const own = stat.get('inactive_file');
  if (own !== undefined && own < usage) return own;
  return null;
}

/**
 * v1 `blkio.throttle.io_service_bytes` (or `…_recursive`): lines `8:0 Read 123`,
 * a `Total 123` line at the end. Read and Write are summed over devices; Sync, Async, Discard and the
 * per-device Total would count the same bytes again.
 */
export function parseBlkioV1(text: string): Result<IoBytes, string> {
  let read = 0;
  let write = 0;
  for (const line of lines(text)) {
    const fields = line.split(/[ :]+/);
    if (fields.length === 2 && fields[0] === 'Total') continue;
    const [major, minor, op, value] = fields;
    if (fields.length !== 4 || !UINT.test(major!) || !UINT.test(minor!) || !UINT.test(value!)) {
      return err(`expected "major:minor Op bytes", got ${quote(line)}`);
    }
    if (op === 'Read') read += Number(value);
    else if (op === 'Write') write += Number(value);
  }
  return ok({ read, write });
}

/** v2 `io.stat`: lines `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`; rbytes and wbytes summed over devices. */
export function parseIoStatV2(text: string): Result<IoBytes, string> {
  let read = 0;
  let write = 0;
  for (const line of lines(text)) {
    const [device, ...pairs] = line.split(' ');
    if (!/^\d+:\d+$/.test(device!)) return err(`expected "major:minor key=value…", got ${quote(line)}`);
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      const key = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      // Other keys (rios, dios, and the io.latency controller's depth, avg_lat, win) may hold non-integers.
      if (key !== 'rbytes' && key !== 'wbytes') continue;
      if (eq < 0 || !UINT.test(value)) return err(`io.stat: bad ${key} in ${quote(line)}`);
      if (key === 'rbytes') read += Number(value);
      else write += Number(value);
    }
  }
  return ok({ read, write });
}

/** Non-empty lines, trimmed, with runs of spaces made one. */
function lines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (line !== '') out.push(line);
  }
  return out;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}
