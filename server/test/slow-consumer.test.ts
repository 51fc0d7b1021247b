import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../src/config.js';
import { createLogger, silentLogger, type Logger } from '../src/log.js';
import { SLOW_CLOSE_DEADLINE_MS } from '../src/transport/session.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { bootGateway, topicOf, waitForListed } from './helpers/gateway.js';
import { SlowClient } from './helpers/slow-client.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const CONTAINERS = 12;
const HEALTHY = 2;
/** Below the rate limit of 20 messages a second: one unsubscribe and one subscribe per step. */
const PUMP_STEP_MS = 125;

/**
 * Small bounds, so that a reader with a 4 KiB window is behind within seconds. The frame bound is raised: each
 * resubscription below queues a state frame that cannot be dropped, and overflowing the queue with those is
 * another way to be closed, not the one under test.
 */
function smallOutbox(stallTimeoutMs: number) {
  return (c: Config): void => {
    c.outbox = { ...c.outbox, highWaterMarkBytes: 1024, sendTimeoutMs: 100, stallTimeoutMs, maxQueuedFrames: 100_000 };
  };
}

/**
 * A reader that falls behind costs only itself: its samples are dropped (and it is told how many), or it is
 * closed, while everyone else keeps getting every sample.
 */
describe('a slow consumer', () => {
  const containers = new TestContainers();
  let ids: string[] = [];
  let topics: string[] = [];

  before(async () => {
    await ensureTestImage();
    ids = await Promise.all(Array.from({ length: CONTAINERS }, (_, i) => containers.run(`idle${i}`, ['sleep', '1d'])));
    topics = ids.map(topicOf);
  });

  after(async () => {
    await containers.removeAll();
  });

  /** A gateway, healthy clients watching every container, and a slow client that subscribed to all of them. */
  async function setUp(stallTimeoutMs: number, log: Logger = silentLogger) {
    const gateway = await bootGateway(smallOutbox(stallTimeoutMs), undefined, log);
    const healthy: TestClient[] = [];
    let slow: SlowClient | undefined;
    const teardown = async (): Promise<void> => {
      await slow?.kill();
      await Promise.all(healthy.map((c) => c.close()));
      await gateway.stop();
    };
    try {
      for (const id of ids) await waitForListed(gateway, id);
      for (let i = 0; i < HEALTHY; i++) healthy.push(await TestClient.connect(gateway.url));
      for (const c of healthy) c.send({ type: 'subscribe', topics });
      // A few seconds of history make every resubscription below send a few kilobytes.
      await Promise.all(healthy.map((c) => c.waitForSamples(ids[0]!, 5, 15_000)));
      slow = await SlowClient.connect(gateway.url);
      slow.send({ type: 'subscribe', topics });
      return { gateway, healthy, slow, teardown };
    } catch (e) {
      await teardown();
      throw e;
    }
  }

  /** Makes the slow client ask for its history again and again (it reads none of it) until `done` says so. */
  async function pump(slow: SlowClient, done: () => boolean): Promise<void> {
    while (!done()) {
      slow.send({ type: 'unsubscribe', topics });
      slow.send({ type: 'subscribe', topics });
      await delay(PUMP_STEP_MS);
    }
  }

  /** Every healthy client got every sample of every container: none dropped, no gap of a missing interval. */
  function assertNoGaps(healthy: TestClient[]): void {
    for (const [n, c] of healthy.entries()) {
      for (const id of ids) {
        const samples = c.samples(id);
        assert.ok(samples.length >= 3, `healthy client ${n} got only ${samples.length} samples of ${id.slice(0, 12)}`);
        assert.ok(
          samples.every((s) => s.dropped === undefined),
          `healthy client ${n} had samples of ${id.slice(0, 12)} dropped`,
        );
        for (let i = 1; i < samples.length; i++) {
          const gap = samples[i]!.t - samples[i - 1]!.t;
          // Samples are one interval (1 s) apart; a gap of two intervals is a sample missing.
          assert.ok(gap > 0 && gap < 2000, `healthy client ${n}: ${gap} ms between samples of ${id.slice(0, 12)}`);
        }
      }
      assert.equal(c.malformed.length, 0);
      assert.ok(c.isOpen, `healthy client ${n} was closed`);
    }
  }

  test('a reader that falls behind has samples dropped, is told how many, and nobody else misses any', async () => {
    const { healthy, slow, teardown } = await setUp(60_000);
    try {
      // Long enough for its buffers to fill, then a little longer with nothing but new samples for it.
      const start = healthy[0]!.mark();
      await pump(slow, () => healthy[0]!.samples(ids[0]!, start).length >= 7);
      const paused = healthy[0]!.mark();
      await healthy[0]!.waitForSamples(ids[0]!, 2, 10_000, paused);

      slow.startReading();
      await slow.waitFor((e) => 'frame' in e && /"dropped":/.test(e.frame), 20_000);
      const told = slow.messages.flatMap((m) => (m.type === 'stats' ? m.samples : [])).filter((s) => s.dropped !== undefined);
      assert.ok(told.length > 0 && told.every((s) => Number.isInteger(s.dropped) && s.dropped! > 0));
      assert.equal(slow.malformed.length, 0);
      // It caught up and is served again, not closed.
      assert.ok(
        !slow.events.some((e) => 'close' in e || 'eof' in e),
        `the slow reader was closed: ${JSON.stringify(slow.events.slice(-3))}`,
      );
      assertNoGaps(healthy);
    } finally {
      await teardown();
    }
  });

  test('a reader that stops reading is sent 4408 after what it was already sent, then forgotten; nobody else misses a sample', async () => {
    const lines: string[] = [];
    const closing = (): boolean => lines.some((l) => l.includes('"closing slow consumer"'));
    const { gateway, healthy, slow, teardown } = await setUp(
      3000,
      createLogger('warn', (l) => lines.push(l)),
    );
    try {
      assert.equal(gateway.transport.size, HEALTHY + 1);
      await pump(slow, () => closing() || healthy[0]!.samples(ids[0]!).length > 25);
      await waitUntil(closing, 15_000, 'the slow reader to be closed');
      // It comes back to reading later than the gateway used to wait (a second), well within the deadline: what
      // the connection held, then the close frame, reach it.
      await delay(2000);
      slow.startReading();
      const end = await slow.waitFor((e) => 'close' in e || 'eof' in e || 'error' in e, SLOW_CLOSE_DEADLINE_MS + 10_000);
      assert.deepEqual(end, { close: 4408 }, `the reader's connection ended with ${JSON.stringify(slow.events.slice(-3))}`);
      // The gateway ends the connection itself, whether or not the reader answers the close.
      await slow.waitFor((e) => 'eof' in e || 'error' in e, SLOW_CLOSE_DEADLINE_MS + 10_000);
      await waitUntil(() => gateway.transport.size === HEALTHY, 15_000, 'the slow reader to be forgotten');
      // Its subscriptions went with it: the gateway holds nothing more for it.
      assert.equal(gateway.hub.stats().subscriptions, HEALTHY * CONTAINERS);
      const since = healthy[0]!.mark();
      await healthy[0]!.waitForSamples(ids[0]!, 2, 10_000, since);
      assertNoGaps(healthy);
    } finally {
      await teardown();
    }
  });
});

/** The heartbeat drops a peer that does not answer pings; a peer that still reads is told why. */
describe('a peer that does not answer pings', () => {
  test('is sent 4408 and its connection ended', async () => {
    const gateway = await bootGateway((c) => (c.heartbeatMs = 1000));
    // It reads every frame and answers no ping, as a client whose pings get lost would.
    const peer = await SlowClient.connect(gateway.url);
    try {
      peer.startReading();
      const end = await peer.waitFor((e) => 'close' in e || 'eof' in e || 'error' in e, 15_000);
      assert.deepEqual(end, { close: 4408 }, `the peer's connection ended with ${JSON.stringify(peer.events.slice(-3))}`);
      await peer.waitFor((e) => 'eof' in e || 'error' in e, 10_000);
      await waitUntil(() => gateway.transport.size === 0, 5000, 'the peer to be forgotten');
    } finally {
      await peer.kill();
      await gateway.stop();
    }
  });
});
