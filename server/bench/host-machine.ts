/**
 * What a figure that reads the host was measured on, beside `machine()`'s CPU model and count: the kernel and
 * the cgroup version, since both change what a read of a cgroup or /proc file costs.
 */
import { release } from 'node:os';
import { findLayout } from '../src/cgroup/layout.js';

export function hostMachine(): { kernel: string; cgroup: string } {
  const layout = findLayout({});
  return { kernel: release(), cgroup: layout.ok ? `v${layout.value.version}` : `unknown (${layout.error})` };
}
