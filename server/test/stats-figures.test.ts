import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { TestContainers, docker, ensureTestImage, parseCliSize } from './helpers/docker.js';
import { bootGateway, topicOf, waitForListed } from './helpers/gateway.js';
import { hostFeatures } from './helpers/host-features.js';
import { TestClient } from './helpers/ws-client.js';
import { median, waitUntil } from './helpers/wait.js';

const MiB = 1024 * 1024;

const host = await hostFeatures();

/** Why a source cannot be tested on this host: the cgroup source reads the containers' cgroup files, memory among them. */
const unusable = { docker: undefined, cgroup: host.cgroupFiles ?? host.memory };

/**
 * The figures a subscriber sees agree with what the containers do and with what `docker stats` reports,
 * whichever source reads them: the engine's stats API, or the host's cgroup files.
 */
for (const source of ['docker', 'cgroup'] as const)
  describe(`stats figures against a real engine, read from ${source}`, { concurrency: true, skip: unusable[source] }, () => {
    const containers = new TestContainers();
    let gateway: Gateway | undefined;
    let burner = '';
    let holder = '';
    let io = '';

    before(async () => {
      await ensureTestImage();
      [burner, holder, io] = await Promise.all([
        containers.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5']),
        containers.run('hold', ['sh', '-c', 'head -c 20m /dev/zero > /dev/shm/hold; sleep 1d']),
        containers.run('io', ['sh', '-c', 'while :; do dd if=/dev/zero of=/f bs=64k count=32 oflag=direct 2>/dev/null; sleep 0.2; done']),
      ]);
      if (!host.network) {
        // Connections to its network's gateway: each sends packets through the container's interface, refused or not.
        const address = await docker(['inspect', '--format', '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}', io]);
        await docker(['exec', '-d', io, 'sh', '-c', `while :; do nc -w 1 ${address} 9 </dev/null 2>/dev/null; sleep 0.2; done`]);
      }
      gateway = await bootGateway((c) => (c.source = source));
      for (const id of [burner, holder, io]) await waitForListed(gateway, id);
    });

    after(async () => {
      await gateway?.stop();
      await containers.removeAll();
    });

    async function subscribe(id: string): Promise<TestClient> {
      const client = await TestClient.connect(gateway!.url);
      client.send({ type: 'subscribe', topics: [topicOf(id)] });
      return client;
    }

    test('a container capped at half a core reads 50 ± 10 % CPU, and the first sample is null or a real number', async () => {
      const client = await subscribe(burner);
      try {
        const samples = await client.waitForSamples(burner, 7, 20_000);
        const first = samples[0]!;
        assert.ok(first.cpu === null || (Number.isFinite(first.cpu) && first.cpu >= 0), `first cpu: ${first.cpu}`);
        for (const f of client.frames) assert.doesNotMatch(f.raw, /NaN|Infinity/);
        const later = samples.slice(1).map((s) => s.cpu);
        for (const cpu of later) assert.ok(cpu !== null && Number.isFinite(cpu), `a sample after the first has cpu ${cpu}`);
        const mid = median(later as number[]);
        assert.ok(mid >= 40 && mid <= 60, `median CPU ${mid.toFixed(1)} % of ${JSON.stringify(later)} is not 50 ± 10 %`);
      } finally {
        await client.close();
      }
    });

    test('memory in use agrees with docker stats within 10 %', { skip: host.memory }, async () => {
      const client = await subscribe(holder);
      try {
        // The 20 MiB are written within moments of the start; wait until they are charged.
        await waitUntil(() => client.samples(holder).some((s) => s.mem.used >= 20 * MiB), 20_000, 'the 20 MiB to be charged');
        const cli = await containers.cliStats(holder);
        const since = client.mark();
        const [sample] = await client.waitForSamples(holder, 1, 10_000, since);
        const cliUsed = parseCliSize(cli.MemUsage.split('/')[0]!);
        const ratio = sample!.mem.used / cliUsed;
        assert.ok(
          Math.abs(ratio - 1) <= 0.1,
          `mem.used ${(sample!.mem.used / MiB).toFixed(2)} MiB vs docker stats "${cli.MemUsage}" (ratio ${ratio.toFixed(3)})`,
        );
        assert.ok(sample!.mem.limit > 0);
        assert.ok(sample!.mem.percent !== null && Math.abs(sample!.mem.percent - (sample!.mem.used / sample!.mem.limit) * 100) < 1e-9);
      } finally {
        await client.close();
      }
    });

    /** Checks every rate of `samples` against its counter's delta over the time between samples. */
    function assertRates(samples: readonly Sample[]): void {
      const close = (rate: number | null, expected: number, what: string): void => {
        assert.notEqual(rate, null, `${what} rate is null after the first sample`);
        // The sample time is whole milliseconds while the rate uses the engine's exact read time: 1 % slack.
        assert.ok(Math.abs(rate! - expected) <= 0.01 * Math.abs(expected) + 1, `${what} rate ${rate} but Δ/Δt is ${expected}`);
      };
      for (let i = 1; i < samples.length; i++) {
        const a: Sample = samples[i - 1]!;
        const b: Sample = samples[i]!;
        const seconds = (b.t - a.t) / 1000;
        assert.ok(seconds > 0, `sample times do not increase: ${a.t} then ${b.t}`);
        close(b.blk.writeRate, (b.blk.write - a.blk.write) / seconds, 'block write');
        close(b.blk.readRate, (b.blk.read - a.blk.read) / seconds, 'block read');
        close(b.net.rxRate, (b.net.rx - a.net.rx) / seconds, 'network rx');
        close(b.net.txRate, (b.net.tx - a.net.tx) / seconds, 'network tx');
      }
    }

    /** How many intervals between `samples` saw a counter grow, and its rate above zero. */
    function growing(samples: readonly Sample[], counter: (s: Sample) => [total: number, rate: number | null]): number {
      let n = 0;
      for (let i = 1; i < samples.length; i++) {
        const [before] = counter(samples[i - 1]!);
        const [after, rate] = counter(samples[i]!);
        if (after > before && rate !== null && rate > 0) n++;
      }
      return n;
    }

    test('rates are the counter deltas over the time between consecutive samples', { skip: host.network }, async () => {
      const client = await subscribe(io);
      try {
        const samples = await client.waitForSamples(io, 5, 20_000);
        assertRates(samples);
        const sending = growing(samples, (s) => [s.net.tx, s.net.txRate]);
        assert.ok(sending >= 2, `packets sent were seen in only ${sending} of ${samples.length - 1} intervals`);
      } finally {
        await client.close();
      }
    });

    test('block writes with direct I/O show in the counters and their rate', { skip: host.blockIo }, async () => {
      const client = await subscribe(io);
      try {
        const samples = await client.waitForSamples(io, 5, 20_000);
        assertRates(samples);
        const writing = growing(samples, (s) => [s.blk.write, s.blk.writeRate]);
        assert.ok(writing >= 2, `block writes were seen in only ${writing} of ${samples.length - 1} intervals`);
      } finally {
        await client.close();
      }
    });
  });
