/**
 * Whether a container has a memory limit of its own, told from its samples alone. Without one, the gateway
 * reports the host's memory as `mem.limit` (as `docker stats` does), and the protocol does not say which of
 * the two a limit is.
 *
 * The rule: a limit of its own is a whole number of MiB; the host's memory is not. Docker takes `--memory` in
 * bytes, KiB, MiB or GiB and people write `256m` or `1g`, which the kernel keeps as given; the host's memory is
 * `/proc/meminfo`'s MemTotal, what is left of the RAM after the kernel's own reservations, which is almost
 * never a round number of MiB (none of the hosts our fixtures come from is). It is wrong in two rare cases,
 * both of which the memory chart's "fit to usage" button undoes:
 * - a limit set to a number of bytes or KiB that is not a whole MiB (`--memory 1000000000`) reads as none, and
 *   the chart fits usage;
 * - a host whose MemTotal happens to be a whole number of MiB makes every container without a limit read as
 *   limited to the host's memory, the chart as before.
 */

const MiB = 1024 * 1024;

/** True when `limit` (a sample's `mem.limit`, bytes) is a limit of the container's own. */
export function hasMemoryLimit(limit: number): boolean {
  return Number.isSafeInteger(limit) && limit > 0 && limit % MiB === 0;
}
