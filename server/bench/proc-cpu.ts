import { readFileSync, readdirSync } from 'node:fs';

/** Pids whose command name matches `pattern`. */
export function pidsByName(pattern: RegExp): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (pattern.test(comm)) pids.push(Number(entry));
    } catch {
      // Gone between readdir and read.
    }
  }
  return pids;
}

/**
 * Time on a CPU of every thread of a set of processes, in ms, keyed by `pid/tid`: the scheduler's own
 * nanosecond count (`/proc/<pid>/task/<tid>/schedstat`), not the 4 ms-tick sampling behind `/proc/<pid>/stat`,
 * which misses or overcounts the short wakeups of idle daemons and shims by as much as what is measured.
 */
export function cpuOf(pids: readonly number[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        if (Number.isFinite(ns)) m.set(`${pid}/${tid}`, ns / 1e6);
      } catch {
        // The thread ended between readdir and read.
      }
    }
  }
  return m;
}

/**
 * CPU ms used between two readings of `cpuOf`: threads present in both count their difference, threads born
 * in between count whole; a thread that ended in between loses its share of the window (rare: Go and Node
 * keep their threads).
 */
export function cpuDelta(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [key, ms] of after) total += ms - (before.get(key) ?? 0);
  return total;
}

/** The median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
