import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { connectEngine } from '../src/docker/engine.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { DockerProxy } from './helpers/docker-proxy.js';
import { bootGateway, httpGet, topicOf, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

async function health(gateway: Gateway): Promise<unknown> {
  const res = await httpGet(gateway, '/healthz');
  assert.equal(res.status, 200);
  return JSON.parse(res.body) as unknown;
}

/**
 * The gateway reaches the engine through a unix-socket proxy named by DOCKER_HOST; closing the proxy is the
 * engine going away, reopening it is the engine coming back. The steps run in order.
 */
describe('docker engine going away and coming back', () => {
  const containers = new TestContainers();
  let proxy: DockerProxy | undefined;
  let gateway: Gateway | undefined;
  let client: TestClient | undefined;
  let id = '';

  before(async () => {
    await ensureTestImage();
    id = await containers.run('outage', ['sleep', '1d']);
    proxy = await DockerProxy.open();
    const engine = connectEngine({ DOCKER_HOST: `unix://${proxy.path}` });
    assert.ok(engine.ok, engine.ok ? '' : engine.error);
    gateway = await bootGateway(() => {}, engine.value);
  });

  after(async () => {
    await client?.close();
    await gateway?.stop();
    await proxy?.dispose();
    await containers.removeAll();
  });

  test('the gateway talks to the engine through the socket DOCKER_HOST names', async () => {
    await waitForListed(gateway!, id);
    assert.equal(gateway!.hosts.engineStatus().endpoint, `unix://${proxy!.path}`);
    assert.ok(
      proxy!.requests.some((r) => r.path.includes('/containers/json')),
      `the container list was not read through the proxy; it saw ${JSON.stringify(proxy!.requests)}`,
    );
  });

  test('engine gone: subscribers get state unavailable and /healthz reports docker down', async () => {
    // Without this the rest can only time out: closing a proxy the gateway does not use changes nothing.
    assert.ok(proxy!.requests.length > 0, 'precondition: the gateway sends its requests through the proxy');
    client = await TestClient.connect(gateway!.url);
    client.send({ type: 'subscribe', topics: ['containers', topicOf(id)] });
    await client.waitForSamples(id, 1, 10_000);
    const since = client.mark();
    await proxy!.shutdown();
    await client.waitFor((m) => m.type === 'state' && m.topic === topicOf(id) && m.state === 'unavailable', 15_000, since);
    await client.waitFor((m) => m.type === 'containers' && m.engine.status === 'down', 15_000, since);
    assert.deepEqual(await health(gateway!), { status: 'ok', docker: 'down' });
  });

  test('engine back: samples arrive again on the same socket without a new subscribe, and the list says engine up', async () => {
    assert.equal(gateway!.hosts.engineStatus().status, 'down', 'precondition: the engine is down');
    const since = client!.mark();
    await proxy!.listen();
    await client!.waitFor((m) => m.type === 'containers' && m.engine.status === 'up', 20_000, since);
    await client!.waitFor((m: ServerMessage) => m.type === 'state' && m.topic === topicOf(id) && m.state === 'running', 20_000, since);
    await client!.waitForSamples(id, 2, 20_000, since);
    await waitUntil(
      async () => JSON.stringify(await health(gateway!)) === '{"status":"ok","docker":"up"}',
      10_000,
      '/healthz to say docker up',
    );
    assert.equal(gateway!.transport.size, 1, 'the client had to reconnect');
  });
});
