/**
 * Parsers of the /proc files the cgroup source needs besides the cgroup tree: host CPU time and memory, a
 * process's network counters, parent and cgroup, and the mount table. Each takes a file's whole text.
 */
import { err, ok, type Result } from '@dockpulse/shared';
import { digitsAt, lineEndIn } from './cgroup-parse.js';

/** Nanoseconds per clock tick: dockerd hard-codes USER_HZ as 100, which it is on every Linux architecture. */
const NS_PER_TICK = 1e9 / 100;

/** The host-wide CPU figures of one /proc/stat read. */
export interface ProcStat {
  /** All CPUs' time in ns, as dockerd's `getSystemCPUUsage` sums it. */
  systemCpuNs: number;
  /** `cpuN` lines: the online CPUs. */
  onlineCpus: number;
}

/**
 * /proc/stat, as moby's `getSystemCPUUsage` reads it: the first seven fields of the `cpu` line (user, nice,
 * system, idle, iowait, irq, softirq; steal and guest are left out, as dockerd leaves them out) in ticks × 1e9
 * / 100, and the number of `cpuN` lines. Counting those lines gives the host's online CPUs even inside a
 * container whose own affinity (and so `os.availableParallelism()`) is smaller; moby counts them the same way
 * since 2023, dockerd 20.10 asked `sched_getaffinity` of its own process, which is all online CPUs on a host
 * that does not pin dockerd.
 */
export function parseProcStat(text: string): Result<ProcStat, string> {
  let systemCpuNs: number | undefined;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) break; // the cpu lines come first, as glibc's get_nprocs also assumes
    if (line[3] === ' ') {
      const fields = line.split(/\s+/);
      if (fields.length < 8) return err('/proc/stat: too few fields on the cpu line');
      let ticks = 0;
      for (const f of fields.slice(1, 8)) {
        if (!/^\d+$/.test(f)) return err(`/proc/stat: not a tick count: ${JSON.stringify(f)}`);
        ticks += Number(f);
      }
      systemCpuNs = ticks * NS_PER_TICK;
    } else if (line.charCodeAt(3) >= 48 && line.charCodeAt(3) <= 57) {
      onlineCpus++;
    }
  }
  if (systemCpuNs === undefined) return err('/proc/stat: no cpu line');
  if (onlineCpus === 0) return err('/proc/stat: no cpuN lines');
  return ok({ systemCpuNs, onlineCpus });
}

/** /proc/meminfo's `MemTotal` in bytes: what dockerd calls the machine's memory. */
export function parseMemTotal(text: string): Result<number, string> {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(text);
  return m ? ok(Number(m[1]) * 1024) : err('/proc/meminfo: no "MemTotal: N kB" line');
}

/** Bytes received and sent. */
export interface NetTotals {
  rx: number;
  tx: number;
}

/**
 * /proc/<pid>/net/dev: bytes received (column 1) and sent (column 9) over every interface but `lo`. dockerd
 * reports the interfaces libnetwork put in the container's namespace, which never include its loopback.
 */
export function parseNetDev(text: string): Result<NetTotals, string> {
  return parseNetDevBytes(Buffer.from(text, 'latin1'));
}

const COLON = 0x3a;
const LO = Buffer.from('lo', 'latin1');
/** The columns wanted of an interface's line, counted from 0 after its name: rx_bytes and tx_bytes. */
const RX_COLUMN = 0;
const TX_COLUMN = 8;

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0d;

/**
 * `parseNetDev` of the file's bytes, `bytes[0, fileEnd)` as read: it is read every second for every container,
 * and parsed where it lies.
 */
export function parseNetDevBytes(bytes: Buffer, fileEnd = bytes.length): Result<NetTotals, string> {
  let rx = 0;
  let tx = 0;
  // Two header lines, then `  name: rx_bytes rx_packets … tx_bytes …`; a large counter can touch the colon.
  let at = lineEndIn(bytes, 0, fileEnd);
  at = at >= fileEnd ? fileEnd : lineEndIn(bytes, at + 1, fileEnd) + 1;
  while (at < fileEnd) {
    const end = lineEndIn(bytes, at, fileEnd);
    let start = at;
    at = end + 1;
    while (start < end && isBlank(bytes[start]!)) start++;
    if (start === end) continue;
    const colon = bytes.indexOf(COLON, start);
    if (colon < 0 || colon >= end) return err(`net/dev: no interface name in ${quoteLine(bytes, start, end)}`);
    let nameEnd = colon;
    while (nameEnd > start && isBlank(bytes[nameEnd - 1]!)) nameEnd--;
    if (nameEnd - start === LO.length && bytes.compare(LO, 0, LO.length, start, nameEnd) === 0) continue;
    let r = -1;
    let t = -1;
    let column = 0;
    let i = colon + 1;
    while (i < end && column <= TX_COLUMN) {
      while (i < end && isBlank(bytes[i]!)) i++;
      if (i === end) break;
      const fieldStart = i;
      while (i < end && !isBlank(bytes[i]!)) i++;
      if (column === RX_COLUMN) r = digitsAt(bytes, fieldStart, i);
      else if (column === TX_COLUMN) t = digitsAt(bytes, fieldStart, i);
      column++;
    }
    if (r < 0 || t < 0) return err(`net/dev: expected 16 counters in ${quoteLine(bytes, start, end)}`);
    rx += r;
    tx += t;
  }
  return ok({ rx, tx });
}

function quoteLine(bytes: Buffer, start: number, end: number): string {
  return JSON.stringify(bytes.toString('latin1', start, Math.min(end, start + 60)));
}

/** One line of a mountinfo file, as far as finding cgroup hierarchies needs. */
export interface MountEntry {
  /** The directory of the mounted filesystem that appears at `mountPoint`: `/` unless only a subtree is mounted. */
  root: string;
  mountPoint: string;
  fsType: string;
  /** Per-superblock options; for a v1 cgroup hierarchy they name its controllers (`rw,cpu,cpuacct`). */
  superOptions: string[];
}

/** /proc/<pid>/mountinfo (proc(5)): `id parent maj:min root mountpoint options [optional…] - fstype source superopts`. */
export function parseMountinfo(text: string): Result<MountEntry[], string> {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 4) return err(`mountinfo: malformed line ${JSON.stringify(line.slice(0, 80))}`);
    out.push({
      root: unescapeOctal(fields[3]!),
      mountPoint: unescapeOctal(fields[4]!),
      fsType: fields[dash + 1]!,
      superOptions: fields[dash + 3]!.split(','),
    });
  }
  return ok(out);
}

/** One line of /proc/<pid>/cgroup. */
export interface ProcCgroupEntry {
  /** v1 controllers of this hierarchy (`['cpu', 'cpuacct']`, `['name=systemd']`); empty for the v2 hierarchy. */
  controllers: string[];
  /** The process's cgroup, relative to the reader's cgroup namespace root. */
  path: string;
}

/** /proc/<pid>/cgroup: `hierarchy-id:controller,list:path` lines; the v2 line is `0::path`. */
export function parseProcCgroup(text: string): Result<ProcCgroupEntry[], string> {
  const out: ProcCgroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) return err(`cgroup: malformed line ${JSON.stringify(line.slice(0, 80))}`);
    out.push({ controllers: m[2] === '' ? [] : m[2]!.split(','), path: m[3]! });
  }
  return ok(out);
}

/** /proc/<pid>/stat's parent pid: field 4, counted after the last `)` because the command name may hold spaces and parentheses. */
export function parseParentPid(text: string): Result<number, string> {
  const close = text.lastIndexOf(')');
  const ppid = close < 0 ? undefined : text.slice(close + 2).split(' ')[1];
  return ppid !== undefined && /^\d+$/.test(ppid) ? ok(Number(ppid)) : err('stat: no parent pid');
}

/** mountinfo writes space, tab, newline and backslash in paths as `\040`-style octal escapes. */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
