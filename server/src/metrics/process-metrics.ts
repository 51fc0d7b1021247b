/**
 * The gateway process's own resources as Prometheus metrics, under the names Prometheus's client libraries use
 * (`process_*`, `nodejs_*`), so that a dashboard made for any Node.js service reads them. A soak test counts
 * leaked descriptors, timers and sockets with them.
 */
import type { MetricFamily } from './exposition.js';

/** What the process holds at scrape time. */
export interface ProcessFigures {
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use and reserved, bytes. */
  heapUsed: number;
  heapTotal: number;
  /** Descriptors open now; undefined where the system does not say (no `/proc/self/fd`). */
  openFds: number | undefined;
  /** Descriptors the process may open (its soft limit); undefined where unknown. */
  maxFds: number | undefined;
  /**
   * What keeps the event loop alive, by kind, as `process.getActiveResourcesInfo()` lists it: `Timeout` is a
   * timer (one that is not `unref`ed), `TCPSocketWrap` a TCP socket, `PipeWrap` a unix socket (the Docker
   * engine's), `TCPServerWrap` a listening socket, `FSReqCallback` a file operation in flight.
   */
  resources: Readonly<Record<string, number>>;
}

export function processMetrics(f: ProcessFigures): MetricFamily[] {
  const one = (value: number) => [{ value }];
  const families: MetricFamily[] = [
    { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', type: 'gauge', samples: one(f.rss) },
    { name: 'nodejs_heap_size_used_bytes', help: 'V8 heap in use, bytes.', type: 'gauge', samples: one(f.heapUsed) },
    { name: 'nodejs_heap_size_total_bytes', help: 'V8 heap reserved, bytes.', type: 'gauge', samples: one(f.heapTotal) },
  ];
  if (f.openFds !== undefined) {
    families.push({ name: 'process_open_fds', help: 'Open file descriptors.', type: 'gauge', samples: one(f.openFds) });
  }
  if (f.maxFds !== undefined) {
    families.push({ name: 'process_max_fds', help: 'Most file descriptors the process may open.', type: 'gauge', samples: one(f.maxFds) });
  }
  families.push({
    name: 'nodejs_active_resources',
    help: 'Resources keeping the event loop alive, by type (Timeout: timers; TCPSocketWrap: sockets; PipeWrap: unix sockets).',
    type: 'gauge',
    samples: Object.entries(f.resources)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, value]) => ({ labels: { type }, value })),
  });
  return families;
}

/** Counts a list of resource kinds, as `process.getActiveResourcesInfo()` returns it, by kind. */
export function countResources(kinds: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Reads the soft limit on open files from the text of `/proc/self/limits`; undefined when it is not there or unlimited. */
export function parseMaxFds(limits: string): number | undefined {
  const m = /^Max open files\s+(\d+)\s/m.exec(limits);
  return m ? Number(m[1]) : undefined;
}
