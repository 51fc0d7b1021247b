/**
 * A real Prometheus scrapes a gateway that reads a real engine: cAdvisor's names read as cAdvisor's do, the
 * documented scrape configuration and Grafana dashboard work, a removed container's series goes stale, and
 * what /metrics serves passes promtool.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage, parseCliSize } from './helpers/docker.js';
import { bootGateway, waitForListed } from './helpers/gateway.js';
import { hostFeatures } from './helpers/host-features.js';
import { halfCoreAvailable, hostTicks } from './helpers/host-cpu.js';
import { TestPrometheus } from './helpers/prometheus.js';
import { waitUntil } from './helpers/wait.js';

const MiB = 1024 * 1024;
const TOKEN = 'access-token-for-the-test-0001';
const SCRAPE = 'scrape-token-for-the-test-0001';
const DOCS = new URL('../../docs/examples/', import.meta.url);
const features = await hostFeatures();

/** The documented scrape configuration, with this run's target, token file and a 1 s interval. */
async function scrapeConfig(target: string, tokenFile: string): Promise<string> {
  const documented = await readFile(new URL('prometheus.yml', DOCS), 'utf8');
  return documented
    .replace('scrape_interval: 15s', 'scrape_interval: 1s')
    .replace('/etc/prometheus/dockpulse-metrics-token', tokenFile)
    .replace("'127.0.0.1:8080'", `'${target}'`);
}

function promtool(input: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

describe('scraped by a real Prometheus', () => {
  const containers = new TestContainers();
  let gateway: Gateway | undefined;
  let prometheus: TestPrometheus | undefined;
  let dir = '';
  let burner = '';
  let holder = '';
  let doomed = '';
  let startTicks = hostTicks();

  before(async () => {
    await ensureTestImage();
    dir = await mkdtemp(join(tmpdir(), 'dockpulse-prom-test-'));
    [burner, holder, doomed] = await Promise.all([
      containers.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5']),
      containers.run('hold', ['sh', '-c', 'head -c 20m /dev/zero > /dev/shm/hold; sleep 1d']),
      containers.run('doomed', ['sleep', '1d']),
    ]);
    gateway = await bootGateway((c) => {
      c.source = 'auto';
      c.record = 'all';
      c.token = TOKEN;
      c.metricsToken = SCRAPE;
    });
    for (const id of [burner, holder, doomed]) await waitForListed(gateway, id);
    await writeFile(join(dir, 'token'), SCRAPE);
    prometheus = await TestPrometheus.start(await scrapeConfig(new URL(gateway.url).host, join(dir, 'token')));
    startTicks = hostTicks();
    await waitUntil(async () => (await prometheus!.targets())[0]?.health === 'up', 30_000, 'the gateway scraped');
  });

  after(async () => {
    await prometheus?.stop();
    await gateway?.stop();
    await containers.removeAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const name = (id: string): string => gateway!.hosts.all().find((c) => c.id === id)!.name;

  test('after a minute, rate(container_cpu_usage_seconds_total[30s]) of a half-core loop reads 0.5 ± 0.1', async (t) => {
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    const [series] = await prometheus!.query(`rate(container_cpu_usage_seconds_total{name="${name(burner)}"}[30s])`);
    assert.ok(series, 'no series for the loop');
    const { available, idle } = halfCoreAvailable(startTicks);
    if (!available) {
      t.diagnostic(`host saturated (${idle.toFixed(2)} CPUs idle): the loop's rate read ${series.value.toFixed(3)}`);
      assert.ok(series.value > 0);
      return;
    }
    assert.ok(Math.abs(series.value - 0.5) <= 0.1, `rate ${series.value.toFixed(3)} (${idle.toFixed(2)} CPUs idle)`);
    assert.equal(series.metric['id'], `/docker/${burner}`);
    assert.equal(series.metric['image'], 'local/busybox:latest');
    assert.ok(series.metric['host']);
  });

  test('the working set of a container holding 20 MiB reads within 10 % of docker stats', { skip: features.memory }, async () => {
    const cli = parseCliSize((await containers.cliStats(holder)).MemUsage.split('/')[0]!);
    const [series] = await prometheus!.query(`container_memory_working_set_bytes{name="${name(holder)}"}`);
    assert.ok(series && series.value >= 20 * MiB, `working set ${series?.value}`);
    assert.ok(Math.abs(series.value - cli) <= 0.1 * cli, `working set ${series.value}, docker stats ${cli}`);
  });

  test("every query of the documented Grafana dashboard returns the test's containers", async () => {
    const dashboard = JSON.parse(await readFile(new URL('grafana-dashboard.json', DOCS), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll('$host', '.*').replaceAll('$name', `${name(burner)}|${name(holder)}`);
        const result = await prometheus!.query(expr);
        assert.ok(result.length >= 1, `${panel.title}: ${expr} returned nothing`);
      }
    }
  });

  test("a removed container's series goes stale", async () => {
    const query = `container_last_seen{name="${name(doomed)}"}`;
    assert.equal((await prometheus!.query(query)).length, 1);
    await containers.remove(doomed);
    await waitUntil(async () => (await prometheus!.query(query)).length === 0, 20_000, 'the series to go stale');
  });

  test('what /metrics serves passes promtool check metrics', async () => {
    const res = await fetch(`${gateway!.url}/metrics`, { headers: { Authorization: `Bearer ${SCRAPE}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^container_cpu_usage_seconds_total\{/m);
    const checked = await promtool(text);
    assert.equal(checked.code, 0, checked.output);
  });
});
