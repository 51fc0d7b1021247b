/**
 * Two real Docker engines on one machine, an agent beside each, two gateways on one nats-server: both
 * gateways list both hosts and serve each one's containers; and an agent's figures are the figures a gateway
 * reading the same engine itself shows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { hostStatsTopic, isObject, parseHosts, type HostInfo, type Sample } from '@dockpulse/shared';
import { natsSettings, type Config } from '../src/config.js';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { bootGateway, httpGet } from './helpers/gateway.js';
import { hostFeatures } from './helpers/host-features.js';
import { AgentProcess } from './helpers/agent-process.js';
import { TestNats } from './helpers/nats.js';
import { startSecondEngine } from './helpers/second-engine.js';
import { TestClient } from './helpers/ws-client.js';
import { median, waitUntil } from './helpers/wait.js';
import { halfCoreAvailable, hostTicks } from './helpers/host-cpu.js';

const MiB = 1024 * 1024;
const features = await hostFeatures();
const second = await startSecondEngine();
after(async () => {
  if (second.ok) await second.value.stop();
});

/** A gateway on the bus at `url`; `local` also reads (and publishes) the local engine under `localName`. */
function onBus(url: string, local?: string): (c: Config) => void {
  return (c) => {
    c.nats = natsSettings([url]);
    c.record = 'all';
    c.localEngine = local !== undefined;
    c.hostName = local ?? 'gateway';
    c.source = 'auto';
  };
}

async function hostsOf(g: Gateway): Promise<Map<string, HostInfo>> {
  const res = await httpGet(g, '/api/hosts');
  const body: unknown = JSON.parse(res.body);
  return new Map((parseHosts(isObject(body) ? body['hosts'] : undefined) ?? []).map((h) => [h.name, h]));
}

async function samplesOf(g: Gateway, host: string, id: string, count: number): Promise<Sample[]> {
  const client = await TestClient.connect(g.url);
  try {
    client.send({ type: 'subscribe', topics: [hostStatsTopic(host, id)], history: 0 });
    return (await client.waitForSamples(id, count, 30_000)).filter((s) => s.host === host);
  } finally {
    await client.close();
  }
}

describe('two engines, an agent beside each, two gateways on one bus', { skip: second.ok ? undefined : second.error }, () => {
  const run = randomBytes(3).toString('hex');
  const hostA = `one-${run}`;
  const hostB = `two-${run}`;
  const local = new TestContainers();
  let nats: TestNats;
  const agents: AgentProcess[] = [];
  const gateways: Gateway[] = [];
  let onA = '';
  let onB = '';
  let holder = '';

  before(async () => {
    assert.ok(second.ok);
    await ensureTestImage();
    nats = await TestNats.start();
    [onA, holder, onB] = await Promise.all([
      local.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5']),
      local.run('hold', ['sh', '-c', 'head -c 20m /dev/zero > /dev/shm/hold; sleep 1d']),
      second.value.containers.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5']),
    ]);
    const env = { DOCKPULSE_NATS_URL: nats.url, DOCKPULSE_AGENT_HEARTBEAT_MS: '500' };
    agents.push(new AgentProcess(hostA, env), new AgentProcess(hostB, { ...env, DOCKER_HOST: second.value.socketUrl }));
    gateways.push(await bootGateway(onBus(nats.url)), await bootGateway(onBus(nats.url)));
    await Promise.all(agents.map((a) => a.ready()));
  });

  after(async () => {
    await Promise.all([...gateways.map((g) => g.stop()), ...agents.map((a) => a.stop())]);
    await nats?.stop();
    await local.removeAll();
  });

  test('both gateways list both hosts up, each container under its own host', async () => {
    for (const g of gateways) {
      await waitUntil(
        async () => {
          const hosts = await hostsOf(g);
          return hosts.get(hostA)?.state === 'up' && hosts.get(hostB)?.state === 'up';
        },
        30_000,
        'both hosts up',
      );
      await waitUntil(() => g.hosts.find(hostA, onA) && g.hosts.find(hostB, onB), 20_000, 'each container on its host');
      assert.equal(g.hosts.find(hostA, onB), undefined, "the second engine's container is not on the first host");
      assert.equal(g.hosts.find(hostB, onA), undefined);
    }
  });

  test('a half-core loop on each engine reads 50 ± 10 % through its agent, on either gateway', async (t) => {
    for (const [host, id] of [
      [hostA, onA],
      [hostB, onB],
    ] as const) {
      const start = hostTicks();
      const samples = await samplesOf(gateways[1]!, host, id, 6);
      const cpu = median(samples.slice(1).map((s) => s.cpu ?? 0));
      const { available, idle } = halfCoreAvailable(start);
      // On a host that other work keeps busy the loop gets less than its quota: say so rather than fail.
      if (!available) {
        t.diagnostic(`host saturated (${idle.toFixed(2)} CPUs idle): ${host} read ${cpu.toFixed(1)} %`);
        assert.ok(cpu > 0, `${host}: a busy loop read ${cpu} %`);
        continue;
      }
      assert.ok(cpu >= 40 && cpu <= 60, `${host}: median CPU ${cpu.toFixed(1)} % is not 50 ± 10 % (${idle.toFixed(2)} CPUs idle)`);
    }
  });

  test("an agent's figures are those of a gateway that reads the same engine itself", { skip: features.memory }, async () => {
    // The embedded gateway reads the local engine itself, under another name, with the same source choice.
    const embedded = await bootGateway((c) => {
      c.source = 'auto';
      c.hostName = `embedded-${run}`;
    });
    try {
      await waitUntil(() => embedded.hosts.find(`embedded-${run}`, holder), 20_000, 'the holder on the embedded gateway');
      const [viaAgent, direct] = await Promise.all([
        samplesOf(gateways[0]!, hostA, holder, 5),
        samplesOf(embedded, `embedded-${run}`, holder, 5),
      ]);
      const used = (s: Sample[]) => median(s.map((x) => x.mem.used));
      assert.ok(used(viaAgent) >= 20 * MiB, `the 20 MiB held: ${used(viaAgent)}`);
      assert.ok(
        Math.abs(used(viaAgent) - used(direct)) <= 0.02 * used(direct),
        `memory ${used(viaAgent)} through the agent, ${used(direct)} read directly`,
      );
      assert.equal(viaAgent.at(-1)?.mem.limit, direct.at(-1)?.mem.limit);
      assert.equal(viaAgent.at(-1)?.pids, direct.at(-1)?.pids);
      const [cpuAgent, cpuDirect] = await Promise.all([
        samplesOf(gateways[0]!, hostA, onA, 6),
        samplesOf(embedded, `embedded-${run}`, onA, 6),
      ]);
      const a = median(cpuAgent.slice(1).map((s) => s.cpu ?? 0));
      const d = median(cpuDirect.slice(1).map((s) => s.cpu ?? 0));
      assert.ok(Math.abs(a - d) <= 5, `CPU ${a.toFixed(1)} % through the agent, ${d.toFixed(1)} % read directly`);
    } finally {
      await embedded.stop();
    }
  });
});
