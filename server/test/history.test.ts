import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryMessage, ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { bootGateway, topicOf, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';

describe('history for a new subscriber', () => {
  const containers = new TestContainers();
  let gateway: Gateway | undefined;
  let first: TestClient | undefined;
  let second: TestClient | undefined;
  let id = '';

  before(async () => {
    await ensureTestImage();
    id = await containers.run('watched', ['sleep', '1d']);
    gateway = await bootGateway();
    await waitForListed(gateway, id);
  });

  after(async () => {
    await first?.close();
    await second?.close();
    await gateway?.stop();
    await containers.removeAll();
  });

  test('a topic watched for a few seconds gives a new subscriber those samples, oldest first, before any stats frame', async () => {
    const topic = topicOf(id);
    first = await TestClient.connect(gateway!.url);
    first.send({ type: 'subscribe', topics: [topic] });
    const watched = await first.waitForSamples(id, 4, 15_000);

    second = await TestClient.connect(gateway!.url);
    second.send({ type: 'subscribe', topics: [topic] });
    const isHistory = (m: ServerMessage): m is HistoryMessage => m.type === 'history' && m.topic === topic;
    const history = await second.waitFor(isHistory, 10_000);
    // Wait for live samples too, to see where they fall relative to the history.
    const live = await second.waitForSamples(id, 1, 10_000);

    const kinds = second.frames.map((f) => f.msg);
    const historyAt = kinds.findIndex(isHistory);
    const firstStatsAt = kinds.findIndex((m) => m.type === 'stats' && m.samples.some((s) => s.id === id));
    assert.ok(historyAt < firstStatsAt, `history at frame ${historyAt}, first stats frame at ${firstStatsAt}`);
    assert.equal(kinds.filter(isHistory).length, 1, 'more than one history frame');

    const times = history.samples.map((s) => s.t);
    assert.ok(history.samples.every((s) => s.id === id));
    for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! < times[i]!, `history is not oldest first: ${times.join(', ')}`);
    for (const s of watched) {
      const kept = history.samples.find((h) => h.t === s.t);
      assert.ok(kept, `sample at ${s.t} seen by the first subscriber is missing from the history (${times.join(', ')})`);
      assert.deepEqual(kept, s);
    }
    // Live samples continue where the history ends, without repeating it.
    assert.ok(live[0]!.t > times[times.length - 1]!, 'a live sample repeats the history');
  });
});
