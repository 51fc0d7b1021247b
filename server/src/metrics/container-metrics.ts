/**
 * Every running container of every host the gateway serves, as Prometheus metrics under cAdvisor's names and
 * units, so that dashboards and alert rules written for cAdvisor read them unchanged. Values are the
 * container's latest sample: counters are the kernel's own (they go on across the gateway's restarts, and
 * start again with the container); `container_last_seen` is when that sample was read.
 */
import type { ContainerSummary, HostInfo, Sample } from '@dockpulse/shared';
import { renderLabels, type MetricFamily, type MetricSample, type RenderedLabels } from './exposition.js';

/** What the container metrics are made from. */
export interface ContainerMetricsInput {
  /** Every container of every host. */
  containers: readonly ContainerSummary[];
  hosts: readonly HostInfo[];
  /** The newest sample of a container, when one was read. */
  latest(host: string, id: string): Sample | undefined;
  /** Adds the compose project and service as labels (off by default: more series). */
  composeLabels: boolean;
}

/** The labels of a container: cAdvisor's `id`, `name` and `image`, and the host. */
function labelsOf(c: ContainerSummary, compose: boolean): Record<string, string> {
  // cAdvisor names a container by its cgroup; for Docker's default (cgroupfs) driver that is /docker/<id>.
  const labels: Record<string, string> = { host: c.host, id: `/docker/${c.id}`, image: c.image, name: c.name };
  if (compose && c.compose) {
    // cAdvisor's spelling of a container label: container_label_ and the key with anything but [a-zA-Z0-9_] as _.
    labels['container_label_com_docker_compose_project'] = c.compose.project;
    labels['container_label_com_docker_compose_service'] = c.compose.service;
  }
  return labels;
}

/** The container metric families, for the running containers of the hosts that answer. */
export function containerMetrics(input: ContainerMetricsInput): MetricFamily[] {
  const up = new Set(input.hosts.filter((h) => h.state === 'up').map((h) => h.name));
  const rows: { labels: RenderedLabels; s: Sample }[] = [];
  for (const c of input.containers) {
    if (c.state !== 'running' || !up.has(c.host)) continue;
    const s = input.latest(c.host, c.id);
    // Rendered once for the dozen families that carry them.
    if (s) rows.push({ labels: renderLabels(labelsOf(c, input.composeLabels)), s });
  }
  const of = (value: (s: Sample) => number | null | undefined): MetricSample[] => {
    const out: MetricSample[] = [];
    for (const r of rows) {
      const v = value(r.s);
      if (v !== null && v !== undefined) out.push({ labels: r.labels, value: v });
    }
    return out;
  };
  return [
    {
      name: 'container_cpu_usage_seconds_total',
      help: 'Cumulative cpu time consumed in seconds.',
      type: 'counter',
      samples: of((s) => s.cpuTime),
    },
    {
      name: 'container_memory_usage_bytes',
      help: 'Current memory usage in bytes, including all memory regardless of when it was accessed.',
      type: 'gauge',
      samples: of((s) => s.mem.charged),
    },
    {
      name: 'container_memory_working_set_bytes',
      help: 'Current working set in bytes: usage less the inactive file cache, as docker stats shows it.',
      type: 'gauge',
      samples: of((s) => s.mem.used),
    },
    {
      name: 'container_spec_memory_limit_bytes',
      help: "Memory limit for the container in bytes; the host's memory for a container without one.",
      type: 'gauge',
      samples: of((s) => s.mem.limit),
    },
    {
      name: 'container_network_receive_bytes_total',
      help: 'Cumulative count of bytes received, over all interfaces.',
      type: 'counter',
      samples: of((s) => s.net.rx),
    },
    {
      name: 'container_network_transmit_bytes_total',
      help: 'Cumulative count of bytes transmitted, over all interfaces.',
      type: 'counter',
      samples: of((s) => s.net.tx),
    },
    {
      name: 'container_fs_reads_bytes_total',
      help: 'Cumulative count of bytes read, over all devices.',
      type: 'counter',
      samples: of((s) => s.blk.read),
    },
    {
      name: 'container_fs_writes_bytes_total',
      help: 'Cumulative count of bytes written, over all devices.',
      type: 'counter',
      samples: of((s) => s.blk.write),
    },
    {
      name: 'container_threads',
      help: 'Number of threads running inside the container (tasks in its pids cgroup: the PIDS of docker stats).',
      type: 'gauge',
      samples: of((s) => s.pids),
    },
    {
      name: 'container_last_seen',
      help: 'Last time a container was seen by the exporter: when its latest sample was read, seconds since the epoch.',
      type: 'gauge',
      samples: of((s) => s.t / 1000),
    },
    {
      name: 'dockpulse_container_cpu_percent',
      help: 'CPU percent of one core over the interval before the latest sample, as docker stats shows it (200 = two cores).',
      type: 'gauge',
      samples: of((s) => s.cpu),
    },
  ];
}
