import type { ServerResponse } from 'node:http';
import { renderExposition, type MetricFamily } from '../metrics/exposition.js';

/** Every metric family `/metrics` serves, read at scrape time. */
export type GatewayMetrics = () => readonly MetricFamily[];

/** `GET /metrics`: the gateway's figures and every running container's, in the Prometheus text format. */
export function serveMetrics(res: ServerResponse, metrics: GatewayMetrics): void {
  const body = renderExposition(metrics());
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}
