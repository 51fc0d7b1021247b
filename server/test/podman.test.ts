/**
 * Rootful Podman through its Docker-compatible socket, as a user would point dockpulse at it: the figures a
 * dashboard shows agree with `podman stats`, one sample a second; the cgroup source finds Podman's containers and
 * agrees with the API source; and a container's life (stop, start, restart, rm, and Podman's own `stopping`
 * state and `remove` event) reads as it does on Docker. The tests start Podman's service on a socket of their
 * own; they skip, naming the host's fact, only where Podman cannot run a container here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ContainersMessage, Sample, ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { defaultConfig } from '../src/config.js';
import { ContainerList } from '../src/docker/container-list.js';
import { silentLogger } from '../src/log.js';
import type { LifecycleEvent, StatsSource } from '../src/source/source.js';
import { localEngineSource } from '../src/source/local-engine.js';
import { Recorder } from '../src/testing/recorder.js';
import { parseCliSize } from './helpers/docker.js';
import { bootGateway, topicOf, waitForListed } from './helpers/gateway.js';
import { halfCoreAvailable, hostTicks } from './helpers/host-cpu.js';
import { podmanProblem, startPodman, type PodmanService } from './helpers/podman.js';
import { TestClient } from './helpers/ws-client.js';
import { median, waitUntil } from './helpers/wait.js';

const MiB = 1024 * 1024;
const WAIT_MS = 60_000;
const isContainers = (m: ServerMessage): m is ContainersMessage => m.type === 'containers';

const problem = await podmanProblem();

/** The CPU % samples imply over [from, to], each figure covering the time since the sample before it. */
function averageCpu(samples: readonly Sample[], from: number, to: number): number {
  let coreMs = 0;
  for (let i = 1; i < samples.length; i++) {
    const cpu = samples[i]!.cpu;
    const overlap = Math.min(samples[i]!.t, to) - Math.max(samples[i - 1]!.t, from);
    if (cpu !== null && overlap > 0) coreMs += (cpu / 100) * overlap;
  }
  return (coreMs / (to - from)) * 100;
}

describe('rootful Podman through its Docker-compatible socket', { skip: problem }, () => {
  let podman: PodmanService;
  let burn = '';
  let hold = '';
  let chat = '';

  before(async () => {
    podman = await startPodman();
    const c = podman.containers;
    [burn, hold, chat] = await Promise.all([
      c.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5', '--network', 'none']),
      c.run('hold', ['sh', '-c', 'head -c 20m /dev/zero > /dev/shm/hold; sleep 1d'], ['--network', 'none']),
      c.run('chat', ['sleep', '1d']),
    ]);
    // On Podman's default network: connections to its gateway send packets through the container's interface.
    const gw = await podman.cli(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}', chat]);
    await podman.cli(['exec', '-d', chat, 'sh', '-c', `while :; do nc -w 1 ${gw} 9 </dev/null 2>/dev/null; sleep 0.2; done`]);
  });

  after(async () => {
    await podman?.stop();
  });

  describe('the dashboard, reading stats from the API', () => {
    let gateway: Gateway | undefined;
    let client: TestClient | undefined;

    before(async () => {
      gateway = await bootGateway((c) => (c.source = 'docker'), podman.engine);
      for (const id of [burn, hold, chat]) await waitForListed(gateway, id);
      client = await TestClient.connect(gateway.url);
      client.send({ type: 'subscribe', topics: [burn, hold, chat].map((id) => topicOf(id)) });
    });

    after(async () => {
      await client?.close();
      await gateway?.stop();
    });

    test("reads through Podman's own stats endpoint, one sample a second (its compatible one sends one every 5 s)", async () => {
      assert.equal(gateway!.hosts.sources()[0]!.describe.source, 'podman (libpod stats API)');
      const since = client!.mark();
      const started = Date.now();
      const samples = await client!.waitForSamples(hold, 6, 20_000, since);
      const gaps = samples.slice(1).map((s, i) => s.t - samples[i]!.t);
      // Six samples within a few seconds could not come from a 5 s stream; the median gap is the 1 s interval.
      assert.ok(Date.now() - started < 12_000, `six samples took ${Date.now() - started} ms`);
      const gap = median(gaps);
      assert.ok(gap >= 700 && gap <= 1300, `median gap ${gap} ms of ${JSON.stringify(gaps)}`);
    });

    test('a --cpus 0.5 busy loop reads 50 ± 10 %, as podman stats does', async (t) => {
      const start = hostTicks();
      const since = client!.mark();
      const samples = await client!.waitForSamples(burn, 7, 20_000, since);
      const cli = await podman.stats(burn);
      const cpus = samples.map((s) => s.cpu).filter((c): c is number => c !== null);
      assert.ok(cpus.length >= 5, `CPU figures ${JSON.stringify(cpus)}`);
      for (const c of cpus) assert.ok(c <= 60, `above the quota: ${c}`);
      const mid = median(cpus);
      const theirs = Number.parseFloat(cli.cpu_percent);
      const { available, idle } = halfCoreAvailable(start);
      if (!available) return t.diagnostic(`host saturated (${idle.toFixed(2)} CPUs idle): median ${mid}, podman stats ${cli.cpu_percent}`);
      assert.ok(Math.abs(mid - 50) <= 10, `median CPU ${mid.toFixed(1)} % of ${JSON.stringify(cpus)}`);
      assert.ok(Math.abs(mid - theirs) <= 10, `median ${mid.toFixed(1)} % vs podman stats ${cli.cpu_percent}`);
    });

    test('memory, its limit and pids agree with podman stats within 10 %', async () => {
      await waitUntil(() => client!.samples(hold).some((s) => s.mem.used >= 20 * MiB), 20_000, 'the 20 MiB to be charged');
      const cli = await podman.stats(hold);
      const since = client!.mark();
      const [sample] = await client!.waitForSamples(hold, 1, 10_000, since);
      const [used = '', limit = ''] = cli.mem_usage.split('/');
      const ratio = sample!.mem.used / parseCliSize(used);
      assert.ok(Math.abs(ratio - 1) <= 0.1, `mem.used ${(sample!.mem.used / MiB).toFixed(2)} MiB vs podman stats "${cli.mem_usage}"`);
      assert.ok(Math.abs(sample!.mem.limit / parseCliSize(limit) - 1) <= 0.1, `limit ${sample!.mem.limit} vs "${cli.mem_usage}"`);
      assert.equal(sample!.pids, Number(cli.pids));
      assert.equal(sample!.unreported, undefined, 'a rootful Podman reports every figure');
    });

    test('network counters agree with podman stats within 10 %, and their rates are the deltas', async () => {
      const counted = await waitUntil(() => client!.samples(chat).findLast((s) => s.net.tx >= 1000), 20_000, 'a kilobyte sent');
      assert.ok(counted);
      const cli = await podman.stats(chat);
      const since = client!.mark();
      const samples = await client!.waitForSamples(chat, 3, 10_000, since);
      // Podman 4 prints what the container sent first ("input") and what it received second.
      const [tx = '', rx = ''] = cli.net_io.split('/');
      const last = samples[0]!;
      // podman stats read a moment before the sample: the counters only grew in between.
      assert.ok(Math.abs(last.net.tx / parseCliSize(tx) - 1) <= 0.1, `tx ${last.net.tx} vs podman stats "${cli.net_io}"`);
      assert.ok(Math.abs(last.net.rx / parseCliSize(rx) - 1) <= 0.1, `rx ${last.net.rx} vs podman stats "${cli.net_io}"`);
      for (let i = 1; i < samples.length; i++) {
        const a = samples[i - 1]!;
        const b = samples[i]!;
        const expected = (b.net.tx - a.net.tx) / ((b.t - a.t) / 1000);
        assert.ok(Math.abs(b.net.txRate! - expected) <= 0.01 * expected + 1, `tx rate ${b.net.txRate} vs ${expected}`);
      }
    });
  });

  describe('the cgroup source against the API source', () => {
    const lifetime = new AbortController();
    const sources: StatsSource[] = [];
    const runs: Promise<void>[] = [];
    const cg = { burn: new Recorder(WAIT_MS), hold: new Recorder(WAIT_MS), chat: new Recorder(WAIT_MS) };
    const api = { burn: new Recorder(WAIT_MS), hold: new Recorder(WAIT_MS), chat: new Recorder(WAIT_MS) };

    before(async () => {
      for (const [source, recorders] of [
        ['auto', cg],
        ['docker', api],
      ] as const) {
        const config = { ...defaultConfig(), source };
        const s = await localEngineSource('local', podman.engine, config, silentLogger);
        sources.push(s);
        runs.push(s.run(lifetime.signal));
        s.watch(burn, recorders.burn, lifetime.signal);
        s.watch(hold, recorders.hold, lifetime.signal);
        s.watch(chat, recorders.chat, lifetime.signal);
      }
    });

    after(async () => {
      lifetime.abort();
      await Promise.all(runs);
    });

    test("auto finds Podman's containers in the host's cgroup tree and reads them from there", () => {
      assert.match(sources[0]!.describe.source, /^cgroup \(cgroup v\d .*Podman, (cgroupfs|systemd) driver/);
    });

    test('CPU of the busy loop: both near each other over the same window', async () => {
      await cg.burn.until(() => cg.burn.cpus().length >= 6, 'six CPU figures from the cgroup source');
      await api.burn.until(() => api.burn.cpus().length >= 6, 'six CPU figures from the API');
      const firstFigure = (r: Recorder): number => r.samples.filter((s) => s.cpu !== null)[1]!.t;
      const from = Math.max(firstFigure(cg.burn), firstFigure(api.burn));
      const to = Math.min(cg.burn.samples.at(-1)!.t, api.burn.samples.at(-1)!.t);
      const ours = averageCpu(cg.burn.samples, from, to);
      const theirs = averageCpu(api.burn.samples, from, to);
      assert.ok(Math.abs(ours - theirs) <= 5, `over ${to - from} ms: cgroup ${ours} vs API ${theirs}`);
    });

    test('memory, limit, pids and network agree', async () => {
      const a = await cg.hold.until(() => cg.hold.samples.at(-1), 'a cgroup sample');
      const b = await api.hold.until(() => api.hold.samples.at(-1), 'an API sample');
      assert.ok(a.mem.used > 20 * MiB, `${a.mem.used}`);
      assert.ok(Math.abs(a.mem.used - b.mem.used) <= b.mem.used * 0.05, `memory: cgroup ${a.mem.used} vs API ${b.mem.used}`);
      assert.equal(a.mem.limit, b.mem.limit);
      assert.equal(a.pids, b.pids);
      const d = await api.chat.until(
        () => api.chat.samples.findLast((s) => s.net.tx > 0 && s.net.txRate !== null),
        'traffic in the API source',
      );
      const c = await cg.chat.until(() => cg.chat.samples.find((s) => s.t >= d.t), 'a cgroup sample after it');
      // The two read at different instants while the container keeps sending: what it sends in between is allowed.
      const between = ((c.t - d.t) / 1000) * Math.max(d.net.txRate!, c.net.txRate ?? 0) * 1.5 + 1024;
      assert.ok(
        c.net.tx >= d.net.tx - 1024 && c.net.tx - d.net.tx <= between,
        `tx: cgroup ${c.net.tx} at ${c.t} vs API ${d.net.tx} at ${d.t}`,
      );
    });
  });

  describe("a container's life", () => {
    let gateway: Gateway | undefined;
    let list: TestClient | undefined;
    let watcher: TestClient | undefined;
    const events: LifecycleEvent[] = [];
    let id = '';

    before(async () => {
      // The default source: on this host, the cgroup files.
      gateway = await bootGateway((c) => (c.source = 'auto'), podman.engine);
      gateway.hosts.sources()[0]!.onLifecycle?.((e) => events.push(e));
      list = await TestClient.connect(gateway.url);
      list.send({ type: 'subscribe', topics: ['containers'] });
      await list.waitFor((m) => isContainers(m) && m.engine.status === 'up', 10_000);
      watcher = await TestClient.connect(gateway.url);
    });

    after(async () => {
      await list?.close();
      await watcher?.close();
      await gateway?.stop();
    });

    test('podman run: it appears in the list and its samples flow', async () => {
      const since = list!.mark();
      id = await podman.containers.run('life', ['sleep', '1d'], ['--network', 'none']);
      await list!.waitFor((m) => isContainers(m) && m.containers.some((c) => c.id === id && c.state === 'running'), 10_000, since);
      watcher!.send({ type: 'subscribe', topics: [topicOf(id)] });
      await watcher!.waitForSamples(id, 2, 15_000);
    });

    test('podman stop: while Podman says `stopping` the container stays listed, then it reads stopped', async () => {
      const topic = topicOf(id);
      const since = watcher!.mark();
      const listSince = list!.mark();
      // `sleep` as pid 1 ignores SIGTERM: Podman waits the timeout out in its `stopping` state, then kills it.
      const stopping = podman.cli(['stop', '-t', '4', id]);
      await waitUntil(
        async () => (await podman.cli(['inspect', '--format', '{{.State.Status}}', id])) === 'stopping',
        10_000,
        'Podman to say stopping',
      );
      // A list read now (a gateway starting, or reconnecting) sees the container in Podman's `stopping` state.
      const reading = new AbortController();
      const fresh = new ContainerList('local', podman.engine, silentLogger);
      const run = fresh.run(reading.signal);
      try {
        await waitUntil(() => fresh.isReady, 10_000, 'a fresh list');
        const listed = fresh.get(id);
        assert.equal(listed?.state, 'running', `listed while stopping: ${JSON.stringify(listed)}`);
        assert.equal(listed.status, 'Stopping');
      } finally {
        reading.abort();
        await run;
      }
      assert.ok(
        gateway!.hosts.all().some((c) => c.id === id && c.state === 'running'),
        'still running in the live list',
      );
      await stopping;
      await watcher!.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'stopped', 10_000, since);
      await list!.waitFor((m) => isContainers(m) && m.containers.some((c) => c.id === id && c.state === 'exited'), 10_000, listSince);
      const states = watcher!.frames.slice(since).flatMap((f) => (f.msg.type === 'state' ? [f.msg.state] : []));
      assert.ok(!states.includes('removed'), `states while stopping: ${JSON.stringify(states)}`);
      assert.ok(
        events.some((e) => e.id === id && e.action === 'die'),
        'a die event',
      );
    });

    test('podman start, then podman restart: samples flow again on the same subscription', async () => {
      const topic = topicOf(id);
      let since = watcher!.mark();
      await podman.containers.start(id);
      await watcher!.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'running', 10_000, since);
      await watcher!.waitForSamples(id, 2, 15_000, since);
      since = watcher!.mark();
      await podman.cli(['restart', '-t', '0', id]);
      const after = await watcher!.waitForSamples(id, 2, 15_000, since);
      assert.ok(
        after.every((s) => s.pids !== null && s.pids >= 1),
        JSON.stringify(after.map((s) => s.pids)),
      );
      assert.ok(
        events.some((e) => e.id === id && e.action === 'restart'),
        'a restart event',
      );
    });

    test("podman rm -f: Podman's `remove` event ends the topic as removed and the container leaves the list", async () => {
      const topic = topicOf(id);
      const since = watcher!.mark();
      const listSince = list!.mark();
      // Through the test's own list of containers, so that the clean-up does not ask Podman for it again: a
      // `podman rm` of several ids removes none when one of them is gone.
      await podman.containers.remove(id);
      await watcher!.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'removed', 10_000, since);
      await list!.waitFor((m) => isContainers(m) && !m.containers.some((c) => c.id === id), 10_000, listSince);
      await waitUntil(
        () => events.some((e) => e.id === id && e.action === 'destroy'),
        10_000,
        `a destroy event after ${JSON.stringify(events.map((e) => e.action))}`,
      );
    });
  });
});
