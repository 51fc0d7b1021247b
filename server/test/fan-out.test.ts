import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { DockerProxy, engineThrough } from './helpers/docker-proxy.js';
import { bootGateway, topicOf, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const VIEWERS = 20;
const GRACE_MS = 300;

/** However many people watch a container, the engine is asked for its stats once. */
describe('one upstream stats stream per container', () => {
  const containers = new TestContainers();
  let proxy: DockerProxy | undefined;
  let gateway: Gateway | undefined;
  let clients: TestClient[] = [];
  let id = '';
  let statsPath = /^$/;

  before(async () => {
    await ensureTestImage();
    id = await containers.run('shared', ['sleep', '1d']);
    statsPath = new RegExp(`^(/v[\\d.]+)?/containers/${id}/stats`);
    // Through a proxy, so the engine's side can be counted too.
    proxy = await DockerProxy.open();
    gateway = await bootGateway((c) => (c.graceMs = GRACE_MS), engineThrough(proxy));
    await waitForListed(gateway, id);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway?.stop();
    await proxy?.dispose();
    await containers.removeAll();
  });

  test(`${VIEWERS} clients on one container share one upstream stream`, async () => {
    const openedBefore = gateway!.upstream.opened;
    for (let i = 0; i < VIEWERS; i++) clients.push(await TestClient.connect(gateway!.url));
    for (const c of clients) c.send({ type: 'subscribe', topics: [topicOf(id)] });
    await Promise.all(clients.map((c) => c.waitForSamples(id, 2, 15_000)));

    assert.equal(gateway!.upstream.open, 1);
    assert.equal(gateway!.upstream.opened - openedBefore, 1, 'more than one stream was opened for the container');
    assert.equal(gateway!.hub.stats().subscriptions, VIEWERS);
    const asked = proxy!.requests.filter((r) => statsPath.test(r.path));
    assert.equal(asked.length, 1, `the engine was asked for stats ${asked.length} times`);
    assert.equal(proxy!.openStreams(statsPath), 1);
    // Every viewer is fed from that one stream: they all see the same readings.
    const firstSeen = clients[0]!.samples(id).map((s) => s.t);
    const common = firstSeen.filter((t) => clients.every((c) => c.samples(id).some((s) => s.t === t)));
    assert.ok(common.length >= 1, 'the viewers saw no reading in common');
  });

  test('when all of them leave, the upstream stream closes after the grace period', async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await waitUntil(() => gateway!.hub.stats().subscriptions === 0, 5000, 'the subscriptions to be released');
    await waitUntil(() => gateway!.upstream.open === 0, 10_000, 'the upstream stream to close');
    assert.equal(gateway!.hub.stats().topics, 0);
    await waitUntil(() => proxy!.openStreams(statsPath) === 0, 10_000, 'the stats connection to the engine to close');
  });
});
