import { readFileSync } from 'node:fs';

/** The host's idle and total CPU time so far (jiffies), and how many CPUs it has. */
export interface HostTicks {
  idle: number;
  total: number;
  cpus: number;
}

/** Reads the host's CPU time so far from /proc/stat. */
export function hostTicks(): HostTicks {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const fields = lines[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  return { idle: fields[3]! + fields[4]!, total: fields.reduce((a, b) => a + b, 0), cpus: lines.filter((l) => /^cpu\d/.test(l)).length };
}

/** CPUs' worth of idle time between two readings. */
export function idleCpus(a: HostTicks, b: HostTicks): number {
  return ((b.idle - a.idle) / (b.total - a.total)) * b.cpus;
}

/**
 * Whether a busy loop capped at half a CPU could have had its half over a window: false when other work left
 * the host with less than half a CPU idle on average, and the loop got less than its quota through no fault
 * of whoever measured it.
 */
export function halfCoreAvailable(start: HostTicks, end: HostTicks = hostTicks()): { available: boolean; idle: number } {
  const idle = idleCpus(start, end);
  return { available: idle >= 0.5, idle };
}
