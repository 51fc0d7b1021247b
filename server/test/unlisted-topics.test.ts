import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ErrorCode, type ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { DockerProxy, engineThrough } from './helpers/docker-proxy.js';
import { bootGateway, httpGet, topicOf, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

/** A small bound, so that a few sockets reach it. */
const MAX_UNLISTED = 40;
const SOCKETS = 6;
const IDS_PER_SOCKET = 25;
const GRACE_MS = 300;

/** A gateway figure from its own `/metrics`. */
async function metric(gateway: Gateway, name: string): Promise<number> {
  const body = (await httpGet(gateway, '/metrics')).body;
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(body);
  assert.ok(m, `no ${name} in /metrics`);
  return Number(m[1]);
}

/** The answer a socket got for a topic: its state, or an error code. */
function answer(client: TestClient, topic: string): string | undefined {
  for (const f of client.frames) {
    const m: ServerMessage = f.msg;
    if (m.type === 'state' && m.topic === topic) return `state ${m.state}`;
    if (m.type === 'error' && m.topic === topic) return `error ${m.code}`;
  }
  return undefined;
}

/**
 * While the engine does not answer, a container it does not list is taken on trust, but only so many of them
 * across the gateway: sockets naming random ids cannot open topics without end, and what they opened is freed
 * when they go.
 */
describe('topics for containers the engine does not list, while it does not answer', () => {
  const containers = new TestContainers();
  let proxy: DockerProxy | undefined;
  let gateway: Gateway | undefined;
  let id = '';

  before(async () => {
    await ensureTestImage();
    id = await containers.run('unlisted', ['sleep', '1d']);
    proxy = await DockerProxy.open();
    gateway = await bootGateway((c) => {
      c.maxUnlistedTopics = MAX_UNLISTED;
      c.graceMs = GRACE_MS;
    }, engineThrough(proxy));
    await waitForListed(gateway, id);
  });

  after(async () => {
    await gateway?.stop();
    await proxy?.dispose();
    await containers.removeAll();
  });

  test('are bounded across the gateway, refused with unavailable past the bound, and freed when their sockets go', async () => {
    // One known container watched through the outage: its topic is not counted against the bound.
    const watcher = await TestClient.connect(gateway!.url);
    const clients: TestClient[] = [];
    try {
      watcher.send({ type: 'subscribe', topics: [topicOf(id)] });
      await watcher.waitForSamples(id, 1, 15_000);
      await proxy!.shutdown();
      await waitUntil(() => gateway!.hosts.engineStatus().status === 'down', 15_000, 'the engine to be down');
      const baseline = await metric(gateway!, 'dockpulse_topics');

      const topics: string[][] = [];
      for (let i = 0; i < SOCKETS; i++) {
        const c = await TestClient.connect(gateway!.url);
        clients.push(c);
        const mine = Array.from({ length: IDS_PER_SOCKET }, () => topicOf(randomBytes(32).toString('hex')));
        topics.push(mine);
        c.send({ type: 'subscribe', topics: [...mine, topicOf(id)] });
      }
      // Every topic is answered: taken on trust (unavailable until the engine answers), or refused.
      await waitUntil(
        () => clients.every((c, i) => topics[i]!.every((t) => answer(c, t) !== undefined)),
        15_000,
        'every subscription to be answered',
      );
      const answers = clients.flatMap((c, i) => topics[i]!.map((t) => answer(c, t)!));
      const taken = answers.filter((a) => a === 'state unavailable').length;
      const refused = answers.filter((a) => a === `error ${ErrorCode.unavailable}`).length;
      assert.equal(taken + refused, SOCKETS * IDS_PER_SOCKET, `unexpected answers: ${JSON.stringify([...new Set(answers)])}`);
      assert.equal(taken, MAX_UNLISTED, `${taken} unlisted ids were taken on trust`);
      const open = await metric(gateway!, 'dockpulse_topics');
      assert.equal(open, baseline + MAX_UNLISTED, `${open} topics open (${baseline} before)`);
      // The known container is watched by every socket, over the bound.
      for (const c of clients) assert.equal(answer(c, topicOf(id)), 'state unavailable');

      await Promise.all(clients.map((c) => c.close()));
      await waitUntil(async () => (await metric(gateway!, 'dockpulse_topics')) === baseline, 10_000, 'the topics to be freed');
      // The bound is free again for whoever comes next.
      const next = await TestClient.connect(gateway!.url);
      clients.push(next);
      const fresh = topicOf(randomBytes(32).toString('hex'));
      next.send({ type: 'subscribe', topics: [fresh] });
      await waitUntil(() => answer(next, fresh), 5000, 'the next subscription to be answered');
      assert.equal(answer(next, fresh), 'state unavailable');
    } finally {
      await Promise.all([watcher, ...clients].map((c) => c.close()));
    }
  });
});
