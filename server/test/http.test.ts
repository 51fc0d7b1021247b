import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { TestContainers, docker, ensureTestImage } from './helpers/docker.js';
import { bootGateway, httpGet, topicOf, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';

const SECRET = 'hunter2';

describe('HTTP endpoints', () => {
  const containers = new TestContainers();
  let gateway: Gateway | undefined;
  let secret = '';
  let plain = '';

  before(async () => {
    await ensureTestImage();
    [secret, plain] = await Promise.all([
      containers.run('secret', ['sleep', '1d'], ['-e', `SECRET_TEST_VALUE=${SECRET}`, '--label', `secret.label=${SECRET}`]),
      containers.run('plain', ['sleep', '1d']),
    ]);
    gateway = await bootGateway();
    for (const id of [secret, plain]) await waitForListed(gateway, id);
  });

  after(async () => {
    await gateway?.stop();
    await containers.removeAll();
  });

  test('/healthz answers {"status":"ok","docker":"up"}', async () => {
    const res = await httpGet(gateway!, '/healthz');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(res.body), { status: 'ok', docker: 'up' });
  });

  test('/api/containers lists the test containers', async () => {
    const res = await httpGet(gateway!, '/api/containers');
    assert.equal(res.status, 200);
    const { containers: list } = JSON.parse(res.body) as { containers: ContainerSummary[] };
    for (const [id, name] of [
      [secret, 'secret'],
      [plain, 'plain'],
    ] as const) {
      const c = list.find((x) => x.id === id);
      assert.ok(c, `container ${name} is missing from /api/containers`);
      assert.equal(c.name, containers.prefix + name);
      assert.equal(c.state, 'running');
      assert.equal(c.image, 'local/busybox:latest');
    }
  });

  test('a container environment (or label) appears nowhere: not in /api/containers, not in any WebSocket frame', async () => {
    // The secret is really there to leak.
    assert.match(await docker(['inspect', secret]), new RegExp(`SECRET_TEST_VALUE=${SECRET}`));

    const res = await httpGet(gateway!, '/api/containers');
    assert.equal(res.status, 200);
    assert.ok(res.body.includes(secret), 'the container is listed');
    assert.ok(!res.body.includes(SECRET) && !res.body.includes('SECRET_TEST_VALUE'), `/api/containers leaks: ${res.body}`);

    const client = await TestClient.connect(gateway!.url);
    try {
      client.send({ type: 'subscribe', topics: ['containers', topicOf(secret)] });
      await client.waitForSamples(secret, 2, 10_000);
      // A second subscriber gets the history frame too.
      const since = client.mark();
      client.send({ type: 'unsubscribe', topics: [topicOf(secret)] });
      client.send({ type: 'subscribe', topics: [topicOf(secret)] });
      await client.waitFor((m) => m.type === 'history' && m.samples.length > 0, 10_000, since);
      const frames = client.frames.map((f) => f.raw);
      assert.ok(
        frames.some((f) => f.includes(secret)),
        'the frames are about the container',
      );
      for (const f of frames) assert.ok(!f.includes(SECRET) && !f.includes('SECRET_TEST_VALUE'), `a frame leaks: ${f}`);
    } finally {
      await client.close();
    }
  });
});
