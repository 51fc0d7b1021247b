import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage, parseCliSize } from './helpers/docker.js';
import { bootGateway, topicOf, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';
import { median, waitUntil } from './helpers/wait.js';

const MiB = 1024 * 1024;

/**
 * The figures a subscriber sees agree with what the containers do and with what `docker stats` reports,
 * whichever source reads them: the engine's stats API, or the host's cgroup files.
 */
for (const source of ['docker', 'cgroup'] as const)
  describe(`stats figures against a real engine, read from ${source}`, { concurrency: true }, () => {
    const containers = new TestContainers();
    let gateway: Gateway | undefined;
    let burner = '';
    let holder = '';
    let writer = '';

    before(async () => {
      await ensureTestImage();
      [burner, holder, writer] = await Promise.all([
        containers.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5']),
        containers.run('hold', ['sh', '-c', 'head -c 20m /dev/zero > /dev/shm/hold; sleep 1d']),
        containers.run('write', [
          'sh',
          '-c',
          'while :; do dd if=/dev/zero of=/f bs=64k count=32 oflag=direct 2>/dev/null; sleep 0.2; done',
        ]),
      ]);
      gateway = await bootGateway((c) => (c.source = source));
      for (const id of [burner, holder, writer]) await waitForListed(gateway, id);
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

    test('memory in use agrees with docker stats within 10 %', async () => {
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

    test('rates are the counter deltas over the time between consecutive samples', async () => {
      const client = await subscribe(writer);
      try {
        const samples = await client.waitForSamples(writer, 5, 20_000);
        const close = (rate: number | null, expected: number, what: string): void => {
          assert.notEqual(rate, null, `${what} rate is null after the first sample`);
          // The sample time is whole milliseconds while the rate uses the engine's exact read time: 1 % slack.
          assert.ok(Math.abs(rate! - expected) <= 0.01 * Math.abs(expected) + 1, `${what} rate ${rate} but Δ/Δt is ${expected}`);
        };
        let writing = 0;
        for (let i = 1; i < samples.length; i++) {
          const a: Sample = samples[i - 1]!;
          const b: Sample = samples[i]!;
          const seconds = (b.t - a.t) / 1000;
          assert.ok(seconds > 0, `sample times do not increase: ${a.t} then ${b.t}`);
          close(b.blk.writeRate, (b.blk.write - a.blk.write) / seconds, 'block write');
          close(b.blk.readRate, (b.blk.read - a.blk.read) / seconds, 'block read');
          close(b.net.rxRate, (b.net.rx - a.net.rx) / seconds, 'network rx');
          close(b.net.txRate, (b.net.tx - a.net.tx) / seconds, 'network tx');
          if (b.blk.write > a.blk.write && b.blk.writeRate! > 0) writing++;
        }
        assert.ok(writing >= 2, `block writes were seen in only ${writing} of ${samples.length - 1} intervals`);
      } finally {
        await client.close();
      }
    });
  });
