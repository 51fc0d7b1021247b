import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type ContainersMessage, type Sample, type ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { bootGateway, topicOf } from './helpers/gateway.js';
import { hostFeatures } from './helpers/host-features.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const isContainers = (m: ServerMessage): m is ContainersMessage => m.type === 'containers';

const host = await hostFeatures();

/**
 * One container's life as a dashboard sees it: it appears, stops, starts, and is removed. The steps run in
 * order on the same container.
 */
describe('container lifecycle', () => {
  const containers = new TestContainers();
  let gateway: Gateway | undefined;
  let list: TestClient | undefined;
  let watcher: TestClient | undefined;
  let id = '';
  let restarted: Sample[] = [];

  before(async () => {
    await ensureTestImage();
    gateway = await bootGateway();
    list = await TestClient.connect(gateway.url);
    list.send({ type: 'subscribe', topics: ['containers'] });
    await list.waitFor((m) => isContainers(m) && m.engine.status === 'up', 10_000);
    watcher = await TestClient.connect(gateway.url);
  });

  after(async () => {
    await list?.close();
    await watcher?.close();
    await gateway?.stop();
    await containers.removeAll();
  });

  test('a new container appears in the containers topic within 2 s of docker run returning', async () => {
    const since = list!.mark();
    id = await containers.run('life', ['sleep', '1d']);
    const seen = await list!.waitFor((m) => isContainers(m) && m.containers.some((c) => c.id === id), 2000, since);
    const summary = (seen as ContainersMessage).containers.find((c) => c.id === id)!;
    assert.equal(summary.name, `${containers.prefix}life`);
    assert.equal(summary.image, 'local/busybox:latest');
  });

  test('docker stop: state stopped on its stats topic, and exited in the list', async () => {
    const topic = topicOf(id);
    watcher!.send({ type: 'subscribe', topics: [topic] });
    await watcher!.waitForSamples(id, 1, 10_000);
    const since = watcher!.mark();
    const listSince = list!.mark();
    await containers.stop(id);
    await watcher!.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'stopped', 10_000, since);
    await list!.waitFor((m) => isContainers(m) && m.containers.some((c) => c.id === id && c.state === 'exited'), 10_000, listSince);
  });

  test('docker start again: samples flow again on the same subscription', async () => {
    const topic = topicOf(id);
    const since = watcher!.mark();
    await containers.start(id);
    await watcher!.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'running', 10_000, since);
    restarted = await watcher!.waitForSamples(id, 2, 15_000, since);
  });

  test('the samples after the start count its process', { skip: host.pids }, () => {
    assert.ok(restarted.length >= 2);
    assert.ok(
      restarted.every((s) => s.pids !== null && s.pids >= 1),
      `a sample after the restart has no process in it: ${JSON.stringify(restarted.map((s) => s.pids))}`,
    );
  });

  test('docker rm -f: state removed, the topic is gone, and the container leaves the list', async () => {
    const topic = topicOf(id);
    const topicsBefore = gateway!.hub.stats().topics;
    assert.ok(topicsBefore >= 1);
    const since = watcher!.mark();
    const listSince = list!.mark();
    await containers.remove(id);
    await watcher!.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'removed', 10_000, since);
    await waitUntil(() => gateway!.hub.stats().topics === topicsBefore - 1, 10_000, 'the hub to drop the topic');
    await waitUntil(() => gateway!.upstream.open === 0, 10_000, 'the upstream stats stream to close');
    await list!.waitFor((m) => isContainers(m) && !m.containers.some((c) => c.id === id), 10_000, listSince);
    // The topic is really gone: subscribing again names a container that does not exist.
    const again = watcher!.mark();
    watcher!.send({ type: 'subscribe', topics: [topic] });
    const e = await watcher!.waitFor((m) => m.type === 'error', 5000, again);
    assert.equal(e.type === 'error' && e.code, ErrorCode.notFound);
  });
});
