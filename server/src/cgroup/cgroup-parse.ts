/**
 * Parsers of the cgroup files a container's stats come from, v1 and v2, one function per file format. Each
 * takes the file's whole content as bytes, as it was read, and parses them where they lie: these files are
 * read every second for every container, and making strings of them (then lines, then fields) cost more than
 * reading them. The kernel writes these formats, so an error means an unexpected kernel, not bad input from a
 * person. Each takes the end of the file's bytes in its buffer too, since the buffer is reused and holds stale
 * bytes past it; the number-returning forms (`countIn`, `limitIn`, `keyedIn`) make no object on the way, and
 * the `Result` forms say what was wrong.
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
export function parseCount(bytes: Buffer, end = bytes.length): Result<number, string> {
  const v = countIn(bytes, end);
  return v < 0 ? err(`expected a non-negative integer, got ${quote(bytes, end)}`) : ok(v);
}

/** `parseCount` as a number: -1 when `bytes[0, end)` is not one integer, surrounding white space allowed. */
export function countIn(bytes: Buffer, end: number): number {
  const start = firstNonSpace(bytes, end);
  return digitsAt(bytes, start, trimmedEnd(bytes, start, end));
}

/** Where `bytes[0, end)` starts without leading white space. */
function firstNonSpace(bytes: Buffer, end: number): number {
  let start = 0;
  while (start < end && isSpace(bytes[start]!)) start++;
  return start;
}

/** Where `bytes[start, end)` ends without trailing white space. */
function trimmedEnd(bytes: Buffer, start: number, end: number): number {
  while (end > start && isSpace(bytes[end - 1]!)) end--;
  return end;
}

/** The end of the line `from` is on, within `bytes[0, end)`: its newline, else `end`. */
export function lineEndIn(bytes: Buffer, from: number, end: number): number {
  const nl = bytes.indexOf(NL, from);
  return nl < 0 || nl > end ? end : nl;
}

const MAX = Buffer.from('max', 'latin1');

/**
 * `memory.limit_in_bytes` (v1) or `memory.max` (v2): bytes, or null for v2's `max`. v1 writes no word for
 * "unlimited", only a page-rounded 2^63 − 1; `effectiveMemLimit` caps either at the host's memory.
 */
export function parseMemoryLimit(bytes: Buffer, end = bytes.length): Result<number | null, string> {
  const v = limitIn(bytes, end);
  if (v === UNLIMITED) return ok(null);
  return v < 0 ? err(`expected a non-negative integer, got ${quote(bytes, end)}`) : ok(v);
}

/** What `limitIn` returns for v2's `max`. */
export const UNLIMITED = -2;

/** `parseMemoryLimit` as a number: `UNLIMITED` for `max`, -1 when `bytes[0, end)` is neither. */
export function limitIn(bytes: Buffer, end: number): number {
  const start = firstNonSpace(bytes, end);
  const last = trimmedEnd(bytes, start, end);
  const v = digitsAt(bytes, start, last);
  if (v >= 0) return v;
  return isWord(bytes, start, last, MAX) ? UNLIMITED : -1;
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
export function flatKeyed(bytes: Buffer, key: FlatKey, end = bytes.length): Result<number | undefined, string> {
  const v = keyedIn(bytes, end, key);
  if (v === ABSENT) return ok(undefined);
  if (v >= 0) return ok(v);
  const at = valueOf(bytes, end, key);
  return err(`expected "key value", got ${quote(bytes.subarray(at - key.first.length, lineEndIn(bytes, at, end)))}`);
}

/** What `keyedIn` returns for a key the file does not have. */
export const ABSENT = -2;

/** `flatKeyed` as a number: `ABSENT` when `bytes[0, end)` has no line for `key`, -1 when its value is not an integer. */
export function keyedIn(bytes: Buffer, end: number, key: FlatKey): number {
  const at = valueOf(bytes, end, key);
  return at < 0 ? ABSENT : digitsAt(bytes, at, lineEndIn(bytes, at, end));
}

/** Where the value of `key`'s line starts in `bytes[0, end)`; -1 without one. */
function valueOf(bytes: Buffer, end: number, key: FlatKey): number {
  if (end >= key.first.length && bytes.compare(key.first, 0, key.first.length, 0, key.first.length) === 0) return key.first.length;
  // The buffer holds stale bytes past `end`: a match there, or one that runs past it, is not this file's.
  const line = bytes.indexOf(key.later);
  return line < 0 || line + key.later.length > end ? -1 : line + key.later.length;
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

/** Field offsets of the line `eachLine` is at, reused from call to call (a call runs to its end synchronously). */
const STARTS: number[] = [];
const ENDS: number[] = [];

/**
 * The fields of each line of `bytes`, split at white space and at any of `separators` (runs count as one),
 * handed to `line` as start and end offsets; a line without fields is skipped. Stops at the first line that
 * `line` rejects, and returns that line's text.
 */
function eachLine(
  bytes: Buffer,
  fileEnd: number,
  separators: readonly number[],
  line: (starts: number[], ends: number[], count: number) => boolean,
): string | undefined {
  const starts = STARTS;
  const ends = ENDS;
  let at = 0;
  while (at < fileEnd) {
    const end = lineEndIn(bytes, at, fileEnd);
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

const COLON_ONLY = [COLON];
const NO_SEPARATORS: number[] = [];
const TOTAL = Buffer.from('Total', 'latin1');
const READ = Buffer.from('Read', 'latin1');
const WRITE = Buffer.from('Write', 'latin1');

/**
 * v1 `blkio.throttle.io_service_bytes` (or `…_recursive`): lines `8:0 Read 123`,
 * a `Total 123` line at the end. Read and Write are summed over devices; Sync, Async, Discard and the
 * per-device Total would count the same bytes again.
 */
export function parseBlkioV1(bytes: Buffer, end = bytes.length): Result<IoBytes, string> {
  let read = 0;
  let write = 0;
  const bad = eachLine(bytes, end, COLON_ONLY, (s, e, count) => {
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
export function parseIoStatV2(bytes: Buffer, end = bytes.length): Result<IoBytes, string> {
  let read = 0;
  let write = 0;
  let problem = '';
  const bad = eachLine(bytes, end, NO_SEPARATORS, (s, e, count) => {
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

function quote(bytes: Buffer, end = bytes.length): string {
  return quoteText(bytes.toString('latin1', 0, end).trim());
}

function quoteText(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}
