/**
 * The Docker daemon itself stopped and started while clients watch: this test starts a dockerd of its own (the
 * shared one is never touched), points a gateway at it, and restarts it. Clients see their containers
 * `unavailable` and the engine down, then samples again when it is back, without doing anything; the gateway
 * holds as many topics and streams afterwards as before.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostStatsTopic } from '@dockpulse/shared';
import { startSecondEngine } from '../test/helpers/second-engine.js';
import { TestClient } from '../test/helpers/ws-client.js';
import { waitUntil } from '../test/helpers/wait.js';
import { GatewayProcess, valueOf } from './helpers/gateway-process.js';
import { soakSettings } from './helpers/soak-settings.js';

const settings = soakSettings();

const HOST = 'restarted';
const CLIENTS = 5;
const CONTAINERS = 2;

const started = await startSecondEngine();

describe(
  `the Docker daemon restarted ${settings.engineRestarts} times while ${CLIENTS} clients watch`,
  {
    skip: started.ok ? undefined : started.error,
  },
  () => {
    let stateDir = '';
    let gateway: GatewayProcess | undefined;
    const clients: TestClient[] = [];
    const ids: string[] = [];

    before(async () => {
      assert.ok(started.ok);
      const engine = started.value;
      // They come back with the daemon, as a service's containers do; a second's grace keeps its stop short.
      for (let i = 0; i < CONTAINERS; i++) {
        ids.push(await engine.containers.run(`kept-${i}`, ['sleep', '1d'], ['--restart', 'always', '--stop-timeout', '1']));
      }
      stateDir = await mkdtemp(join(tmpdir(), 'dockpulse-restart-'));
      gateway = await GatewayProcess.start({
        DOCKER_HOST: engine.socketUrl,
        DOCKPULSE_STATE_DIR: stateDir,
        DOCKPULSE_HOST_NAME: HOST,
        DOCKPULSE_RECORD: 'watched',
      });
    });

    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await gateway?.stop();
      if (started.ok) await started.value.stop();
      if (stateDir) await rm(stateDir, { recursive: true, force: true });
    });

    const topics = (): string[] => ids.map((id) => hostStatsTopic(HOST, id));

    test('clients see unavailable while the daemon is down, then samples again, on the same sockets', async (t) => {
      assert.ok(started.ok);
      const engine = started.value;
      for (let i = 0; i < CLIENTS; i++) {
        const client = await TestClient.connect(gateway!.url);
        client.send({ type: 'subscribe', topics: ['containers', ...topics()] });
        clients.push(client);
      }
      await Promise.all(clients.flatMap((c) => ids.map((id) => c.waitForSamples(id, 1, 30_000))));
      const baseline = await gateway!.metrics();
      assert.equal(valueOf(baseline, 'dockpulse_topics'), CONTAINERS);
      assert.equal(valueOf(baseline, 'dockpulse_upstream_streams'), CONTAINERS);

      for (let restart = 1; restart <= settings.engineRestarts; restart++) {
        const marks = clients.map((c) => c.mark());
        const downAt = Date.now();
        await engine.stopDaemon();
        await Promise.all(
          clients.flatMap((c, i) => [
            c.waitFor((m) => m.type === 'containers' && m.engine.status === 'down', 30_000, marks[i]),
            ...topics().map((topic) =>
              c.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'unavailable', 30_000, marks[i]),
            ),
          ]),
        );
        assert.equal(valueOf(await gateway!.metrics(), 'dockpulse_docker_up'), 0, 'the metrics say the engine is down');
        const seenDown = Date.now() - downAt;

        const upMarks = clients.map((c) => c.mark());
        const upAt = Date.now();
        await engine.startDaemon();
        await Promise.all(
          clients.flatMap((c, i) => [
            c.waitFor((m) => m.type === 'containers' && m.engine.status === 'up', 60_000, upMarks[i]),
            ...topics().map((topic) =>
              c.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'running', 60_000, upMarks[i]),
            ),
            ...ids.map((id) => c.waitForSamples(id, 2, 60_000, upMarks[i])),
          ]),
        );
        t.diagnostic(
          `restart ${restart}: every client saw the engine down ${seenDown} ms after the stop began, ` +
            `and samples again ${Date.now() - upAt} ms after the daemon was started`,
        );
      }

      for (const c of clients) {
        assert.ok(c.isOpen, 'a client was disconnected');
        assert.deepEqual(c.malformed, []);
      }
      const end = await waitUntil(
        async () => {
          const s = await gateway!.metrics();
          return valueOf(s, 'dockpulse_docker_up') === 1 && valueOf(s, 'dockpulse_upstream_streams') === CONTAINERS ? s : undefined;
        },
        20_000,
        'the gateway to read both containers again',
      );
      assert.equal(valueOf(end, 'dockpulse_sockets'), CLIENTS, 'no client had to reconnect');
      assert.equal(valueOf(end, 'dockpulse_topics'), CONTAINERS, 'topics');
      assert.equal(valueOf(end, 'dockpulse_upstream_streams'), CONTAINERS, 'upstream streams');
      assert.deepEqual(gateway!.errors, [], 'the gateway logged errors');
    });
  },
);
