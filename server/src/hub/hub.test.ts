import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTAINERS_TOPIC, type Sample } from '@dockpulse/shared';
import { Hub } from './hub.js';
import type { StatsSink } from '../source/source.js';
import type { HostUpstream } from '../hosts/host-set.js';
import { Outbox, type OutboxSink } from './outbox.js';

const ID = 'a'.repeat(64);
const HOST = 'h1';
const TOPIC = `stats:${HOST}/${ID}`;

/** An upstream that records what the hub asked of it and lets the test publish. */
function fakeUpstream() {
  const watches: { host: string; id: string; sink: StatsSink; signal: AbortSignal }[] = [];
  const upstream: HostUpstream = { watch: (host, id, sink, signal) => void watches.push({ host, id, sink, signal }) };
  return { upstream, watches };
}

function client() {
  const sent: string[] = [];
  const sink: OutboxSink = {
    bufferedAmount: 0,
    send: (f) => void sent.push(typeof f === 'string' ? f : f.payload.toString()),
    closeSlow: () => {},
  };
  const out = new Outbox(sink, {
    highWaterMarkBytes: 1 << 20,
    maxQueuedFrames: 100,
    maxQueuedBytes: 1 << 20,
    sendTimeoutMs: 100,
    stallTimeoutMs: 5000,
  });
  return { out, sent, types: () => sent.map((f) => (JSON.parse(f) as { type: string }).type) };
}

function sample(t: number): Sample {
  return {
    host: HOST,
    id: ID,
    t,
    cpu: 1,
    mem: { used: 1, limit: 2, percent: 50 },
    net: { rx: 0, tx: 0, rxRate: 0, txRate: 0 },
    blk: { read: 0, write: 0, readRate: 0, writeRate: 0 },
    pids: 1,
  };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('one upstream per topic, opened by the first subscriber and released a grace period after the last', async () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 30, coalesceMs: 1, retryMs: 5 });
  try {
    const a = client();
    const b = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    hub.subscribeStats(b.out, HOST, ID, TOPIC);
    assert.equal(watches.length, 1);
    hub.unsubscribe(a.out, TOPIC);
    hub.detach(b.out);
    assert.equal(watches[0]!.signal.aborted, false, 'held open during the grace period');
    await tick(60);
    assert.equal(watches[0]!.signal.aborted, true);
    assert.equal(hub.stats().topics, 0);
  } finally {
    hub.close();
  }
});

test('a subscriber returning within the grace period keeps the same upstream', async () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 30, coalesceMs: 1, retryMs: 5 });
  try {
    const a = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    hub.unsubscribe(a.out, TOPIC);
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    await tick(60);
    assert.equal(watches.length, 1);
    assert.equal(watches[0]!.signal.aborted, false);
  } finally {
    hub.close();
  }
});

test('every subscriber gets each sample; a new one gets history, then state, then live samples', async () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 2, graceMs: 30, coalesceMs: 1, retryMs: 5 });
  try {
    const a = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    const sink = watches[0]!.sink;
    sink.state('running');
    for (const t of [1, 2, 3]) sink.sample(sample(t));
    await tick(10);
    const b = client();
    hub.subscribeStats(b.out, HOST, ID, TOPIC);
    sink.sample(sample(4));
    await tick(10);
    assert.deepEqual(b.types(), ['history', 'state', 'stats']);
    const history = JSON.parse(b.sent[0]!) as { samples: Sample[] };
    assert.deepEqual(
      history.samples.map((s) => s.t),
      [2, 3],
      'the newest samples the ring holds, oldest first',
    );
    const live = JSON.parse(b.sent[2]!) as { samples: Sample[] };
    assert.deepEqual(
      live.samples.map((s) => s.t),
      [4],
    );
    const aSamples = a.sent.filter((f) => f.includes('"stats"')).flatMap((f) => (JSON.parse(f) as { samples: Sample[] }).samples);
    assert.deepEqual(
      aSamples.map((s) => s.t),
      [1, 2, 3, 4],
    );
    assert.equal(hub.stats().published, 4);
  } finally {
    hub.close();
  }
});

test('history can be limited to a recent window', () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 30, coalesceMs: 1, retryMs: 5 });
  try {
    const a = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    const now = Date.now();
    watches[0]!.sink.sample(sample(now - 120_000));
    watches[0]!.sink.sample(sample(now - 1000));
    const b = client();
    hub.subscribeStats(b.out, HOST, ID, TOPIC, 60_000);
    const history = JSON.parse(b.sent[0]!) as { samples: Sample[] };
    assert.deepEqual(
      history.samples.map((s) => s.t),
      [now - 1000],
    );
  } finally {
    hub.close();
  }
});

test('removed ends the topic: subscribers are told, lose the subscription, and the upstream is released', () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 30, coalesceMs: 1, retryMs: 5 });
  try {
    const a = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    watches[0]!.sink.state('removed');
    assert.deepEqual(a.types(), ['history', 'state']);
    assert.equal(a.out.subscriptions.has(TOPIC), false);
    assert.equal(watches[0]!.signal.aborted, true);
    assert.equal(hub.stats().topics, 0);
  } finally {
    hub.close();
  }
});

test('the containers topic sends the latest list to new subscribers', () => {
  const { upstream } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 30, coalesceMs: 1, retryMs: 5 });
  try {
    hub.publishContainers(() => '{"type":"containers","n":1}');
    const a = client();
    hub.subscribeContainers(a.out);
    hub.publishContainers(() => '{"type":"containers","n":2}');
    assert.deepEqual(a.sent, ['{"type":"containers","n":1}', '{"type":"containers","n":2}']);
  } finally {
    hub.close();
  }
});

test('the container list is rendered only while someone holds its topic, once for all of them', () => {
  const { upstream } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 30, coalesceMs: 1, retryMs: 5 });
  let renders = 0;
  const list = (n: number) => () => {
    renders++;
    return `{"type":"containers","n":${n}}`;
  };
  try {
    for (let n = 1; n <= 5; n++) hub.publishContainers(list(n));
    assert.equal(renders, 0, 'nobody holds the topic');
    const [a, b] = [client(), client()];
    hub.subscribeContainers(a.out);
    hub.subscribeContainers(b.out);
    assert.equal(renders, 1, 'the newest list, rendered once for both');
    hub.publishContainers(list(6));
    assert.equal(renders, 2);
    assert.deepEqual(a.sent, ['{"type":"containers","n":5}', '{"type":"containers","n":6}']);
    assert.deepEqual(b.sent, a.sent);
    hub.unsubscribe(a.out, CONTAINERS_TOPIC);
    hub.unsubscribe(b.out, CONTAINERS_TOPIC);
    hub.publishContainers(list(7));
    assert.equal(renders, 2, 'nobody holds it again');
  } finally {
    hub.close();
  }
});

test('an upstream that ends its batch has the batch sent at once, in one frame, not after the window', () => {
  const watches: StatsSink[] = [];
  const listeners = new Set<(last: boolean) => void>();
  const upstream: HostUpstream = {
    watch: (_host, _id, sink) => void watches.push(sink),
    onBatchEnd: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 30, coalesceMs: 60_000, retryMs: 5 });
  try {
    const a = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    hub.subscribeStats(a.out, HOST, 'b'.repeat(64), `stats:${HOST}/${'b'.repeat(64)}`);
    const before = a.sent.length;
    watches[0]!.sample(sample(1));
    watches[1]!.sample({ ...sample(1), id: 'b'.repeat(64) });
    assert.equal(a.sent.length, before, 'held for the window');
    for (const fn of listeners) fn(true);
    assert.equal(a.sent.length, before + 1);
    const frame = JSON.parse(a.sent.at(-1)!) as { type: string; samples: Sample[] };
    assert.equal(frame.type, 'stats');
    assert.deepEqual(
      frame.samples.map((s) => s.id),
      [ID, 'b'.repeat(64)],
    );
    for (const fn of listeners) fn(true);
    assert.equal(a.sent.length, before + 1, 'an end with nothing new sends nothing');
  } finally {
    hub.close();
  }
  assert.equal(listeners.size, 0, 'close removes the listener');
});

test('a pinned topic keeps its upstream and its recent samples with nobody subscribed', async () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 5, graceMs: 10, coalesceMs: 1, retryMs: 5 });
  try {
    const unpin = hub.pin(HOST, ID);
    assert.equal(watches.length, 1);
    for (const t of [1, 2, 3]) watches[0]!.sink.sample(sample(t));
    await tick(30);
    assert.equal(watches[0]!.signal.aborted, false, 'a pin holds the topic past the grace period');
    assert.equal(hub.latest(HOST, ID)?.t, 3);
    const a = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC);
    await tick(5);
    const history = JSON.parse(a.sent[0]!) as { type: string; samples: Sample[] };
    assert.equal(history.type, 'history');
    assert.deepEqual(
      history.samples.map((s) => s.t),
      [1, 2, 3],
      "what was read while only the pin held the topic is the new subscriber's history",
    );
    hub.detach(a.out);
    unpin();
    unpin();
    await tick(30);
    assert.equal(watches[0]!.signal.aborted, true, 'released a grace period after the last holder, a pin counted once');
  } finally {
    hub.close();
  }
});

test('every published sample reaches the sample listeners, once, whether or not anyone subscribes', () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 5, graceMs: 10, coalesceMs: 1, retryMs: 5 });
  try {
    const heard: number[] = [];
    const off = hub.onSample((s) => heard.push(s.t));
    hub.pin(HOST, ID);
    const sink = watches[0]!.sink;
    for (const t of [1, 2, 2, 1, 3]) sink.sample(sample(t));
    off();
    sink.sample(sample(4));
    assert.deepEqual(heard, [1, 2, 3], 'a sample not newer than the last is not published again');
  } finally {
    hub.close();
  }
});

test('a topic subscribed under two names is one subscription; its frames carry the name each subscriber used', async () => {
  const { upstream, watches } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 5, graceMs: 10, coalesceMs: 1, retryMs: 5 });
  try {
    const v1 = `stats:${ID}`;
    const a = client();
    const b = client();
    hub.subscribeStats(a.out, HOST, ID, v1);
    hub.subscribeStats(b.out, HOST, ID, TOPIC);
    hub.subscribeStats(b.out, HOST, ID, `stats:${HOST}/web-1`);
    assert.equal(watches.length, 1, 'one upstream for every name');
    assert.deepEqual([...b.out.subscriptions.keys()], [TOPIC], 'a second name of a held topic adds nothing');
    watches[0]!.sink.state('stopped');
    await tick(5);
    const topicsOf = (c: ReturnType<typeof client>) =>
      c.sent
        .map((f) => JSON.parse(f) as { type: string; topic?: string })
        .filter((m) => m.type !== 'stats')
        .map((m) => `${m.type} ${m.topic}`);
    assert.deepEqual(topicsOf(a), [`history ${v1}`, `state ${v1}`]);
    assert.deepEqual(topicsOf(b), [`history ${TOPIC}`, `state ${TOPIC}`]);
    hub.unsubscribe(a.out, v1);
    hub.unsubscribeContainer(b.out, HOST, ID);
    assert.equal(a.out.subscriptions.size + b.out.subscriptions.size, 0);
    assert.equal(hub.stats().subscriptions, 0);
  } finally {
    hub.close();
  }
});

test('topics opened for unlisted containers are counted until listed or closed; a listed topic joined later is not', async () => {
  const { upstream } = fakeUpstream();
  const hub = new Hub(upstream, { historySamples: 10, graceMs: 10, coalesceMs: 1, retryMs: 5 });
  const OTHER = 'b'.repeat(64);
  const listed = new Set<string>();
  const stillUnlisted = (_host: string, id: string): boolean => !listed.has(id);
  try {
    const a = client();
    const b = client();
    hub.subscribeStats(a.out, HOST, ID, TOPIC, undefined, undefined, true);
    hub.subscribeStats(a.out, HOST, OTHER, `stats:${HOST}/${OTHER}`, undefined, undefined, true);
    assert.equal(hub.unlistedTopics(stillUnlisted), 2);
    // Joining an open topic opens nothing new.
    hub.subscribeStats(b.out, HOST, ID, TOPIC, undefined, undefined, true);
    assert.equal(hub.unlistedTopics(stillUnlisted), 2);
    listed.add(OTHER);
    assert.equal(hub.unlistedTopics(stillUnlisted), 1, 'a container listed since is no longer counted');
    listed.delete(OTHER);
    assert.equal(hub.unlistedTopics(stillUnlisted), 1, 'nor counted again');
    hub.detach(a.out);
    hub.detach(b.out);
    await tick(40);
    assert.equal(hub.unlistedTopics(stillUnlisted), 0, 'closed topics are not counted');
    assert.equal(hub.isOpen(HOST, ID), false);
  } finally {
    hub.close();
  }
});
