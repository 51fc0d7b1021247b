import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, HostInfo, Sample } from '@dockpulse/shared';
import { containerMetrics } from './container-metrics.js';
import { escapeLabel, renderExposition } from './exposition.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const engine = { status: 'up', endpoint: 'unix:///var/run/docker.sock' } as const;
const host = (name: string, state: HostInfo['state'] = 'up'): HostInfo => ({ name, state, lastSeen: 0, containers: 1, running: 1, engine });
const summary = (h: string, id: string, name: string, state: ContainerSummary['state'] = 'running'): ContainerSummary => ({
  host: h,
  id,
  name,
  image: 'nginx:1.27',
  state,
  status: '',
  createdAt: 0,
  compose: { project: 'shop', service: 'web' },
});
const sample = (h: string, id: string): Sample => ({
  host: h,
  id,
  t: 1_795_789_476_787,
  cpu: 51.5,
  cpuTime: 812.37,
  mem: { used: 21_626_880, limit: 25_276_063_744, percent: 0.0856, charged: 23_724_032 },
  net: { rx: 1392, tx: 10, rxRate: 0, txRate: 0 },
  blk: { read: 4096, write: 52_428_800, readRate: 0, writeRate: 0 },
  pids: 7,
});

test('every running container of a host that answers, under cAdvisor names, units and labels', () => {
  const text = renderExposition(
    containerMetrics({
      containers: [summary('h1', A, 'web'), summary('h1', B, 'old', 'exited'), summary('h2', C, 'db')],
      hosts: [host('h1'), host('h2', 'unavailable')],
      latest: (h, id) => sample(h, id),
      composeLabels: false,
    }),
  );
  const labels = `{host="h1",id="/docker/${A}",image="nginx:1.27",name="web"}`;
  for (const line of [
    `container_cpu_usage_seconds_total${labels} 812.37`,
    `container_memory_usage_bytes${labels} 23724032`,
    `container_memory_working_set_bytes${labels} 21626880`,
    `container_spec_memory_limit_bytes${labels} 25276063744`,
    `container_network_receive_bytes_total${labels} 1392`,
    `container_network_transmit_bytes_total${labels} 10`,
    `container_fs_reads_bytes_total${labels} 4096`,
    `container_fs_writes_bytes_total${labels} 52428800`,
    `container_threads${labels} 7`,
    `container_last_seen${labels} 1795789476.787`,
    `dockpulse_container_cpu_percent${labels} 51.5`,
    '# TYPE container_cpu_usage_seconds_total counter',
    '# TYPE container_memory_working_set_bytes gauge',
  ]) {
    assert.ok(text.split('\n').includes(line), `missing: ${line}`);
  }
  assert.doesNotMatch(text, new RegExp(B), 'a stopped container is not exported');
  assert.doesNotMatch(text, new RegExp(C), 'nor the containers of a host that does not answer');
  assert.doesNotMatch(text, /container_label_/, 'compose labels only when asked for');
});

test('compose labels when asked for; a sample without a counter leaves that metric out; label values are escaped', () => {
  const families = containerMetrics({
    containers: [{ ...summary('h1', A, 'we"b\\1'), image: 'x\ny' }],
    hosts: [host('h1')],
    latest: (h, id) => ({ ...sample(h, id), cpuTime: undefined, pids: null }),
    composeLabels: true,
  });
  const text = renderExposition(families);
  assert.match(text, /container_label_com_docker_compose_project="shop",container_label_com_docker_compose_service="web"/);
  assert.match(text, /name="we\\"b\\\\1"/);
  assert.match(text, /image="x\\ny"/);
  assert.doesNotMatch(text, /container_cpu_usage_seconds_total\{/);
  assert.doesNotMatch(text, /container_threads\{/);
  assert.equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

test('a container with no sample yet is not exported', () => {
  const text = renderExposition(
    containerMetrics({ containers: [summary('h1', A, 'web')], hosts: [host('h1')], latest: () => undefined, composeLabels: false }),
  );
  assert.equal(text, '');
});
