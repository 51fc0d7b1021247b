/**
 * Parsers of the cgroup files a container's stats come from, v1 and v2, one function per file format. Each
 * takes the file's whole content as bytes, as it was read, and parses them where they lie: these files are
 * read every second for every container, and making strings of them (then lines, then fields) cost more than
 * reading them. The kernel writes these formats, so an error means an unexpected kernel, not bad input from a
 * person.
 */
import { err, ok, type Result } from '@dockpulse/shared';

const NL = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;
const COLON = 0x3a;
const EQUALS = 0x3d;
const ZERO = 0x30;
const NINE = 0x39;

/** Digits past which a number is no longer exact when summed digit by digit in a double (2^53 has 16). */
const EXACT_DIGITS = 15;

/** Bytes read and written, summed over devices. */
export interface IoBytes {
  read: number;
  write: number;
}

const isSpace = (c: number): boolean => c === SPACE || c === TAB || c === NL || c === 0x0d || c === 0x0b || c === 0x0c;

/**
 * The non-negative integer written in `bytes[start, end)`, or -1 when that is empty or holds anything but
 * digits. Long numbers (v1's unlimited memory, 2^63 rounded to a page) go through `Number` of their text, so
 * that they round as they did when these files were parsed as strings.
 */
export function digitsAt(bytes: Uint8Array, start: number, end: number): number {
  if (start >= end) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < ZERO || c > NINE) return -1;
    v = v * 10 + (c - ZERO);
  }
  return end - start <= EXACT_DIGITS ? v : Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1'));
}

/** A file holding one non-negative integer: `cpuacct.usage` (ns), `memory.usage_in_bytes`, `memory.current`, `pids.current`. */
export function parseCount(bytes: Buffer): Result<number, string> {
  const v = countOf(bytes);
  return v < 0 ? err(`expected a non-negative integer, got ${quote(bytes)}`) : ok(v);
}

/** The integer of a one-number file, surrounding white space allowed; -1 when it is not one. */
function countOf(bytes: Buffer): number {
  const [start, end] = trimmed(bytes);
  return digitsAt(bytes, start, end);
}

/** Where `bytes` starts and ends without surrounding white space. */
function trimmed(bytes: Buffer): [number, number] {
  let start = 0;
  let end = bytes.length;
  while (start < end && isSpace(bytes[start]!)) start++;
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  return [start, end];
}

const MAX = Buffer.from('max', 'latin1');

/**
 * `memory.limit_in_bytes` (v1) or `memory.max` (v2): bytes, or null for v2's `max`. v1 writes no word for
 * "unlimited", only a page-rounded 2^63 − 1; `effectiveMemLimit` caps either at the host's memory.
 */
export function parseMemoryLimit(bytes: Buffer): Result<number | null, string> {
  const [start, end] = trimmed(bytes);
  const v = digitsAt(bytes, start, end);
  if (v >= 0) return ok(v);
  return isWord(bytes, start, end, MAX) ? ok(null) : err(`expected a non-negative integer, got ${quote(bytes)}`);
}

/**
 * The limit `docker stats` shows: dockerd replaces a limit above the machine's memory (no limit set) with the
 * machine's memory (`MemTotal`), in both its cgroup v1 and v2 paths.
 */
export function effectiveMemLimit(limit: number | null, memTotal: number): number {
  if (limit === null) return memTotal;
  return limit > memTotal && memTotal > 0 ? memTotal : limit;
}

/** A key of a flat-keyed file (`memory.stat`, v2 `cpu.stat`), with the bytes that find its line. */
export class FlatKey {
  /** `<key> `: the key's line at the very start of the file. */
  readonly first: Buffer;
  /** `\n<key> `: the key's line anywhere after the first. */
  readonly later: Buffer;

  constructor(readonly name: string) {
    this.first = Buffer.from(`${name} `, 'latin1');
    this.later = Buffer.from(`\n${name} `, 'latin1');
  }
}

/**
 * The value of `key` in a flat-keyed file, found without splitting the rest: memory.stat has 35 to 60 lines,
 * and one or two of them are wanted. Undefined when the file does not have the key; a wanted line whose
 * value is not an integer is an error.
 */
export function flatKeyed(bytes: Buffer, key: FlatKey): Result<number | undefined, string> {
  let at: number;
  if (bytes.length >= key.first.length && bytes.compare(key.first, 0, key.first.length, 0, key.first.length) === 0) {
    at = key.first.length;
  } else {
    const line = bytes.indexOf(key.later);
    if (line < 0) return ok(undefined);
    at = line + key.later.length;
  }
  let end = bytes.indexOf(NL, at);
  if (end < 0) end = bytes.length;
  const v = digitsAt(bytes, at, end);
  if (v < 0) return err(`expected "key value", got ${quote(bytes.subarray(at - key.first.length, end))}`);
  return ok(v);
}

/** v2 `cpu.stat`'s total CPU time in ns: `usage_usec` × 1000, as containerd reports it to dockerd. */
export function cpuUsageV2(usageUsec: number | undefined): Result<number, string> {
  return usageUsec === undefined ? err('cpu.stat: no usage_usec') : ok(usageUsec * 1000);
}

/**
 * The inactive file cache `docker stats` subtracts from usage, chosen as docker/cli's
 * `calculateMemUsageUnixNoCache` does from dockerd's `memory_stats.stats`: v1's `total_inactive_file` when it
 * is below usage, else `inactive_file` (v2's key, and also present in v1) when below usage, else nothing.
 */
export function inactiveFileOf(total: number | undefined, own: number | undefined, usage: number): number | null {
  if (total !== undefined && total < usage) return total;
  if (own !== undefined && own < usage) return own;
  return null;
}

/**
 * The fields of each line of `bytes`, split at white space and at any of `separators` (runs count as one),
 * handed to `line` as start and end offsets; a line without fields is skipped. Stops at the first line that
 * `line` rejects, and returns that line's text.
 */
function eachLine(
  bytes: Buffer,
  separators: readonly number[],
  line: (starts: number[], ends: number[], count: number) => boolean,
): string | undefined {
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    let end = bytes.indexOf(NL, at);
    if (end < 0) end = bytes.length;
    let count = 0;
    let i = at;
    while (i < end) {
      while (i < end && (isSpace(bytes[i]!) || separators.includes(bytes[i]!))) i++;
      if (i === end) break;
      starts[count] = i;
      while (i < end && !isSpace(bytes[i]!) && !separators.includes(bytes[i]!)) i++;
      ends[count++] = i;
    }
    if (count > 0 && !line(starts, ends, count)) return bytes.toString('latin1', at, end).trim().replace(/\s+/g, ' ');
    at = end + 1;
  }
  return undefined;
}

/** True when `bytes[start, end)` is `word` (ASCII). */
function isWord(bytes: Buffer, start: number, end: number, word: Buffer): boolean {
  return end - start === word.length && bytes.compare(word, 0, word.length, start, end) === 0;
}

const TOTAL = Buffer.from('Total', 'latin1');
const READ = Buffer.from('Read', 'latin1');
const WRITE = Buffer.from('Write', 'latin1');

/**
 * v1 `blkio.throttle.io_service_bytes` (or `…_recursive`): lines `8:0 Read 123`,
 * a `Total 123` line at the end. Read and Write are summed over devices; Sync, Async, Discard and the
 * per-device Total would count the same bytes again.
 */
export function parseBlkioV1(bytes: Buffer): Result<IoBytes, string> {
  let read = 0;
  let write = 0;
  const bad = eachLine(bytes, [COLON], (s, e, count) => {
    if (count === 2 && isWord(bytes, s[0]!, e[0]!, TOTAL)) return true;
    if (count !== 4 || digitsAt(bytes, s[0]!, e[0]!) < 0 || digitsAt(bytes, s[1]!, e[1]!) < 0) return false;
    const value = digitsAt(bytes, s[3]!, e[3]!);
    if (value < 0) return false;
    if (isWord(bytes, s[2]!, e[2]!, READ)) read += value;
    else if (isWord(bytes, s[2]!, e[2]!, WRITE)) write += value;
    return true;
  });
  return bad === undefined ? ok({ read, write }) : err(`expected "major:minor Op bytes", got ${quoteText(bad)}`);
}

const RBYTES = Buffer.from('rbytes', 'latin1');
const WBYTES = Buffer.from('wbytes', 'latin1');

/** v2 `io.stat`: lines `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0`; rbytes and wbytes summed over devices. */
export function parseIoStatV2(bytes: Buffer): Result<IoBytes, string> {
  let read = 0;
  let write = 0;
  let problem = '';
  const bad = eachLine(bytes, [], (s, e, count) => {
    const colon = bytes.indexOf(COLON, s[0]);
    if (colon < 0 || colon >= e[0]! || digitsAt(bytes, s[0]!, colon) < 0 || digitsAt(bytes, colon + 1, e[0]!) < 0) {
      problem = 'expected "major:minor key=value…"';
      return false;
    }
    for (let f = 1; f < count; f++) {
      const eq = bytes.indexOf(EQUALS, s[f]);
      const keyEnd = eq < 0 || eq >= e[f]! ? e[f]! : eq;
      const isRead = isWord(bytes, s[f]!, keyEnd, RBYTES);
      // Other keys (rios, dios, and the io.latency controller's depth, avg_lat, win) may hold non-integers.
      if (!isRead && !isWord(bytes, s[f]!, keyEnd, WBYTES)) continue;
      const value = keyEnd === e[f]! ? -1 : digitsAt(bytes, keyEnd + 1, e[f]!);
      if (value < 0) {
        problem = `io.stat: bad ${isRead ? 'rbytes' : 'wbytes'}`;
        return false;
      }
      if (isRead) read += value;
      else write += value;
    }
    return true;
  });
  return bad === undefined ? ok({ read, write }) : err(`${problem} in ${quoteText(bad)}`);
}

function quote(bytes: Buffer): string {
  return quoteText(bytes.toString('latin1').trim());
}

function quoteText(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}
