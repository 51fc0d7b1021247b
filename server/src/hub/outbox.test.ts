import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type FrameCache, type OutboxLimits, type OutboxSink, type SharedFrame } from './outbox.js';
import type { SampleJson } from '../protocol/frames.js';

const LIMITS: OutboxLimits = {
  highWaterMarkBytes: 1000,
  maxQueuedFrames: 4,
  maxQueuedBytes: 10_000,
  sendTimeoutMs: 100,
  stallTimeoutMs: 5000,
};

/** A socket whose buffered amount the test sets, recording what was sent. */
function fakeSocket(): OutboxSink & { sent: string[]; buffered: number; closedSlow: number } {
  return {
    sent: [],
    buffered: 0,
    closedSlow: 0,
    get bufferedAmount() {
      return this.buffered;
    },
    send(frame: string | SharedFrame) {
      this.sent.push(typeof frame === 'string' ? frame : frame.payload.toString());
    },
    closeSlow() {
      this.closedSlow++;
    },
  };
}

function setup(limits: Partial<OutboxLimits> = {}) {
  const clock = { now: 0 };
  const sock = fakeSocket();
  const out = new Outbox(sock, { ...LIMITS, ...limits }, () => clock.now);
  return { clock, sock, out };
}

let seq = 0;
const sample = (topic: string, n: number) => ({ topic, json: `{"id":"${topic}","n":${n}}` as SampleJson, seq: ++seq });

test('samples added within one window leave in a single stats frame', () => {
  const { sock, out } = setup();
  assert.equal(out.addSample(sample('a', 1)), true, 'the first sample of a batch asks for a flush');
  assert.equal(out.addSample(sample('b', 1)), false);
  assert.deepEqual(sock.sent, [], 'nothing leaves before the flush');
  assert.equal(out.flush(), false);
  assert.deepEqual(sock.sent, ['{"type":"stats","samples":[{"id":"a","n":1},{"id":"b","n":1}]}']);
});

test('a control frame goes after the samples already batched, keeping order', () => {
  const { sock, out } = setup();
  out.addSample(sample('a', 1));
  out.control('{"type":"state","topic":"a","state":"stopped"}');
  assert.deepEqual(sock.sent, ['{"type":"stats","samples":[{"id":"a","n":1}]}', '{"type":"state","topic":"a","state":"stopped"}']);
});

test('frames wait while the socket is over the high-water mark, and go when it drains', () => {
  const { sock, out } = setup();
  sock.buffered = 5000;
  out.addSample(sample('a', 1));
  assert.equal(out.flush(), true, 'still queued');
  assert.equal(sock.sent.length, 0);
  sock.buffered = 0;
  assert.equal(out.pump(), false);
  assert.equal(sock.sent.length, 1);
});

test('a stats frame held past the send timeout is dropped, and the next sample of its topic says so', () => {
  const { clock, sock, out } = setup();
  sock.buffered = 5000;
  out.addSample(sample('a', 1));
  out.addSample(sample('b', 1));
  out.flush();
  clock.now = 150;
  out.pump();
  assert.equal(out.queuedFrames, 0, 'the late frame is gone');
  assert.equal(out.droppedTotal, 2);
  sock.buffered = 0;
  out.addSample(sample('a', 2));
  out.flush();
  out.addSample(sample('a', 3));
  out.flush();
  assert.deepEqual(sock.sent, [
    '{"type":"stats","samples":[{"id":"a","n":2,"dropped":1}]}',
    '{"type":"stats","samples":[{"id":"a","n":3}]}',
  ]);
});

test('control frames are never dropped for lateness', () => {
  const { clock, sock, out } = setup();
  sock.buffered = 5000;
  out.control('{"type":"state"}');
  clock.now = 10_000 - 1;
  sock.buffered = 4000; // draining, so not stalled
  out.pump();
  sock.buffered = 0;
  out.pump();
  assert.deepEqual(sock.sent, ['{"type":"state"}']);
});

test('a full queue drops its oldest stats frame first', () => {
  const { sock, out } = setup({ maxQueuedFrames: 2 });
  sock.buffered = 5000;
  for (let n = 1; n <= 3; n++) {
    out.addSample(sample('a', n));
    out.flush();
  }
  assert.equal(out.queuedFrames, 2);
  assert.equal(out.droppedTotal, 1);
  sock.buffered = 0;
  out.pump();
  assert.deepEqual(sock.sent, [
    '{"type":"stats","samples":[{"id":"a","n":2,"dropped":1}]}',
    '{"type":"stats","samples":[{"id":"a","n":3}]}',
  ]);
});

test('a queue of undroppable frames that overflows closes the subscriber as slow', () => {
  const { sock, out } = setup({ maxQueuedFrames: 2 });
  sock.buffered = 5000;
  out.control('1');
  out.control('2');
  assert.equal(sock.closedSlow, 0);
  out.control('3');
  assert.equal(sock.closedSlow, 1);
  assert.equal(out.isClosed, true);
  assert.equal(out.control('4'), false, 'a closed outbox takes nothing');
});

test('a socket that drains nothing for the stall timeout is closed; one that drains slowly is not', () => {
  const { clock, sock, out } = setup();
  sock.buffered = 5000;
  out.control('x');
  clock.now = 3000;
  sock.buffered = 4999; // some progress
  out.pump();
  clock.now = 7000;
  out.pump();
  assert.equal(sock.closedSlow, 0, 'progress at 3 s restarts the clock');
  clock.now = 8000;
  out.pump();
  assert.equal(sock.closedSlow, 1, 'five seconds without progress');
});

test('a replaced keyed control frame is sent once, as its newest version', () => {
  const { sock, out } = setup();
  sock.buffered = 5000;
  out.control('old', 'containers');
  out.control('new', 'containers');
  sock.buffered = 0;
  out.pump();
  assert.deepEqual(sock.sent, ['new']);
});

test('lazy frames are built only when sent', () => {
  const { sock, out } = setup();
  sock.buffered = 5000;
  let built = 0;
  out.lazy('a', { build: () => `history ${++built}` });
  assert.equal(built, 0);
  sock.buffered = 0;
  out.pump();
  assert.deepEqual(sock.sent, ['history 1']);
});

test('forget removes everything waiting for a topic', () => {
  const { sock, out } = setup();
  sock.buffered = 5000;
  out.lazy('a', { build: () => 'history a' });
  out.addSample(sample('a', 1));
  out.addSample(sample('b', 1));
  out.flush();
  out.addSample(sample('a', 2));
  out.forget('a');
  out.flush();
  sock.buffered = 0;
  out.pump();
  assert.deepEqual(sock.sent, ['{"type":"stats","samples":[{"id":"b","n":1}]}']);
});

test('sockets whose batches hold the same samples share one encoded frame; one that missed samples gets its own', () => {
  const frames: FrameCache = new Map();
  const clock = { now: 0 };
  const socket = (buffered: number) => {
    const sent: (string | SharedFrame)[] = [];
    const sink = { bufferedAmount: buffered, send: (f: string | SharedFrame) => void sent.push(f), closeSlow: () => {} };
    return { sink, sent, out: new Outbox(sink, LIMITS, () => clock.now, frames) };
  };
  const [a, b, late] = [socket(0), socket(0), socket(5000)];
  // The late socket is blocked past the send timeout, so its first frame is dropped.
  for (const s of [sample('a', 1), sample('b', 1)]) late.out.addSample(s);
  late.out.flush();
  clock.now = 200;
  late.sink.bufferedAmount = 0;
  late.out.pump();
  const next = [sample('a', 2), sample('b', 2)];
  for (const { out } of [a, b, late]) {
    for (const s of next) out.addSample(s);
    out.flush();
  }
  const [x, y, z] = [a, b, late].map((c) => c.sent.at(-1));
  assert.ok(typeof x === 'object' && x === y, 'one frame for both sockets');
  assert.equal(x.payload.toString(), '{"type":"stats","samples":[{"id":"a","n":2},{"id":"b","n":2}]}');
  assert.equal(z, '{"type":"stats","samples":[{"id":"a","n":2,"dropped":1},{"id":"b","n":2,"dropped":1}]}');
});
