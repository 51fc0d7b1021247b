/** The gateway's own figures, as Prometheus metrics: sockets, topics, upstreams, hosts, the bus and the history. */
import type { HostInfo } from '@dockpulse/shared';
import type { HubStats } from '../hub/hub.js';
import type { BusRejections } from '../bus/bus-hosts.js';
import type { BusState } from '../bus/connection.js';
import type { RecorderStats } from '../history/recorder.js';
import type { MetricFamily } from './exposition.js';
import type { ConnectionStats } from '../transport/connection-limit.js';

/** What the gateway's figures are read from at scrape time. */
export interface GatewayFigures {
  sockets: number;
  hub: HubStats;
  upstream: { open: number; opened: number };
  dockerUp: boolean;
  hosts: readonly HostInfo[];
  bus: { state: BusState; rejected: BusRejections } | undefined;
  /** The history recorder's counts, when the gateway keeps history on disk. */
  history: RecorderStats | undefined;
  /** Connections held, and refused for being over a bound. */
  connections?: ConnectionStats | undefined;
}

export function gatewayMetrics(f: GatewayFigures): MetricFamily[] {
  const one = (value: number) => [{ value }];
  const perHost = (value: (h: HostInfo) => number) => f.hosts.map((h) => ({ labels: { host: h.name }, value: value(h) }));
  const families: MetricFamily[] = [
    { name: 'dockpulse_sockets', help: 'WebSocket clients connected.', type: 'gauge', samples: one(f.sockets) },
    { name: 'dockpulse_topics', help: 'Container topics open in the hub, watched or pinned.', type: 'gauge', samples: one(f.hub.topics) },
    {
      name: 'dockpulse_topics_pinned',
      help: 'Topics kept open with nobody watching (every container is read).',
      type: 'gauge',
      samples: one(f.hub.pinned),
    },
    { name: 'dockpulse_subscriptions', help: 'Subscriptions held by clients.', type: 'gauge', samples: one(f.hub.subscriptions) },
    { name: 'dockpulse_samples_published_total', help: 'Samples published by the hub.', type: 'counter', samples: one(f.hub.published) },
    {
      name: 'dockpulse_upstream_streams',
      help: 'Containers being read now (engine stats streams, or cgroup watches).',
      type: 'gauge',
      samples: one(f.upstream.open),
    },
    {
      name: 'dockpulse_upstream_streams_opened_total',
      help: 'Containers watches opened since start.',
      type: 'counter',
      samples: one(f.upstream.opened),
    },
    { name: 'dockpulse_docker_up', help: 'Whether every host answers (1) or not (0).', type: 'gauge', samples: one(f.dockerUp ? 1 : 0) },
    {
      name: 'dockpulse_host_up',
      help: 'Whether a host answers: its engine, or its agent.',
      type: 'gauge',
      samples: perHost((h) => (h.state === 'up' ? 1 : 0)),
    },
    { name: 'dockpulse_host_containers', help: 'Containers a host lists.', type: 'gauge', samples: perHost((h) => h.containers) },
    {
      name: 'dockpulse_host_running_containers',
      help: 'Running containers a host lists.',
      type: 'gauge',
      samples: perHost((h) => h.running),
    },
  ];
  if (f.connections) {
    const refused = f.connections.refused;
    families.push(
      { name: 'dockpulse_connections', help: 'Connections held (HTTP and WebSocket).', type: 'gauge', samples: one(f.connections.open) },
      {
        name: 'dockpulse_connections_refused_total',
        help: 'Connections refused for being over a bound, by bound (total, address).',
        type: 'counter',
        samples: Object.entries(refused).map(([bound, value]) => ({ labels: { bound }, value })),
      },
    );
  }
  if (f.bus) {
    const rejected = f.bus.rejected;
    families.push(
      {
        name: 'dockpulse_bus_up',
        help: 'Whether the gateway is connected to the message bus.',
        type: 'gauge',
        samples: one(f.bus.state.state === 'up' ? 1 : 0),
      },
      {
        name: 'dockpulse_bus_rejected_total',
        help: 'Bus messages refused or ignored, by reason.',
        type: 'counter',
        samples: Object.entries(rejected).map(([reason, value]) => ({ labels: { reason }, value })),
      },
    );
  }
  if (f.history) {
    families.push(
      {
        name: 'dockpulse_history_points_written_total',
        help: 'Minute points written to the history store.',
        type: 'counter',
        samples: one(f.history.written),
      },
      {
        name: 'dockpulse_history_write_failures_total',
        help: 'Writes to the history store that failed (their points are kept and written again).',
        type: 'counter',
        samples: one(f.history.failed),
      },
      {
        name: 'dockpulse_history_points_dropped_total',
        help: 'Points dropped because the history store could not be written for too long.',
        type: 'counter',
        samples: one(f.history.dropped),
      },
      {
        name: 'dockpulse_history_points_pending',
        help: 'Finished points waiting to be written.',
        type: 'gauge',
        samples: one(f.history.pending),
      },
    );
  }
  return families;
}
