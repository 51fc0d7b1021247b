import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { HistoryMessage, ServerMessage, ShareInfo } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { SHARE_REPLAY, windowSamples } from '../src/limits/replay-budget.js';
import { ensureTestImage } from './helpers/docker.js';
import { bootGateway, topicOf, waitForListed } from './helpers/gateway.js';
import { LabelledContainers } from './helpers/labelled-containers.js';
import { postJson } from './helpers/raw-http.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const LABEL = 'dockpulse.test=share-replay';
const HOST = hostname();
/** A short window, so that the ring is full within seconds: five samples at one a second. */
const HISTORY_MS = 5000;
const INTERVAL_MS = 1000;
/** The most bytes one sample takes in a `history` frame (about 330 here; a long host name adds a little). */
const MAX_SAMPLE_BYTES = 1024;
/** How long the looping socket loops. */
const LOOP_MS = 3000;

const isHistory = (m: ServerMessage): m is HistoryMessage => m.type === 'history';

describe('history replay to share sockets', () => {
  const containers = new LabelledContainers(LABEL);
  let g: Gateway | undefined;
  let id = '';

  before(async () => {
    await ensureTestImage();
    id = await containers.run('replay');
    g = await bootGateway((c) => {
      c.historyMs = HISTORY_MS;
      c.intervalMs = INTERVAL_MS;
    });
    await waitForListed(g, id);
  });

  after(async () => {
    await g?.stop();
    await containers.removeAll();
  });

  test('a share socket that subscribes and unsubscribes in a loop is sent no more history than its budget; a live viewer keeps its samples', async () => {
    const window = windowSamples(HISTORY_MS, INTERVAL_MS);
    // A live viewer on the operator's socket keeps the topic open, so that its ring fills.
    const viewer = await TestClient.connect(g!.url);
    let looper: TestClient | undefined;
    try {
      viewer.send({ type: 'subscribe', topics: [topicOf(id)] });
      await waitUntil(() => g!.hub.recent(HOST, id, -Infinity).length >= window, 20_000, 'a full window of samples kept');

      const res = await postJson(g!.url, '/api/shares', { container: id, ttlSeconds: 600 }, { Origin: g!.url });
      assert.equal(res.status, 201, res.body);
      const share = JSON.parse(res.body) as ShareInfo;
      looper = await TestClient.connect(g!.url, { headers: { Authorization: `Bearer ${share.token}` } });
      await looper.waitFor((m) => m.type === 'hello', 5000);

      const viewerSince = viewer.mark();
      const started = Date.now();
      let rounds = 0;
      while (Date.now() - started < LOOP_MS) {
        const since = looper.mark();
        looper.send({ type: 'subscribe', topics: [topicOf(id)] });
        await looper.waitFor(isHistory, 5000, since);
        looper.send({ type: 'unsubscribe', topics: [topicOf(id)] });
        rounds++;
        // Within the socket's message rate limit, so that the loop is not refused for that instead.
        await new Promise((r) => setTimeout(r, 60));
      }
      const elapsedS = (Date.now() - started) / 1000;
      const histories = looper.frames.filter((f) => isHistory(f.msg));
      const samples = histories.reduce((n, f) => n + (f.msg as HistoryMessage).samples.length, 0);
      const bytes = histories.reduce((n, f) => n + Buffer.byteLength(f.raw), 0);
      // The documented budget: one window at once, one more a minute; it grows with the time taken, so a slow
      // machine loosens the bound rather than failing it.
      const budget = window * SHARE_REPLAY.socketWindows + Math.ceil(((window * SHARE_REPLAY.socketWindowsPerMinute) / 60) * elapsedS);
      assert.ok(rounds >= 10, `the loop subscribed ${rounds} times`);
      assert.equal((histories[0]!.msg as HistoryMessage).samples.length, window, 'the first subscribe gets the whole window');
      assert.ok(samples <= budget, `${rounds} subscribes got ${samples} samples of history; the budget is ${budget}`);
      assert.ok(bytes <= budget * MAX_SAMPLE_BYTES + histories.length * 200, `${bytes} bytes of history for ${samples} samples`);
      // Without a bound the loop would have been sent a window each time; with it, the frames come, smaller.
      assert.equal(histories.length, rounds, 'every subscribe is answered with a history frame');

      await viewer.waitForSamples(id, 1, 10_000, viewerSince);
      await looper.roundTrip();
    } finally {
      await viewer.close();
      await looper?.close();
    }
  });
});
