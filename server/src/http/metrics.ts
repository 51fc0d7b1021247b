import type { ServerResponse } from 'node:http';

/** The gateway's own gauges and counters, by name without the `dockpulse_` prefix. */
export type GatewayMetrics = () => Record<string, number>;

/** `GET /metrics`: the gateway's own figures in the Prometheus text format. */
export function serveMetrics(res: ServerResponse, metrics: GatewayMetrics): void {
  const lines = Object.entries(metrics()).map(([k, v]) => `dockpulse_${k} ${v}`);
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Cache-Control': 'no-store' });
  res.end(`${lines.join('\n')}\n`);
}
