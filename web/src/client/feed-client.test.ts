import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RangeRequestMessage, ServerMessage } from '@dockpulse/shared';
import { FakeGateway, cid, helloFrame, tick } from '../testing/fake-gateway.js';
import {
  FeedClient,
  RangeQueryError,
  historyToResume,
  type ConnectionState,
  type FeedClientOptions,
  type StateDetail,
} from './feed-client.js';

function client(options: Partial<FeedClientOptions> = {}): {
  gateway: FakeGateway;
  feed: FeedClient;
  states: [ConnectionState, StateDetail][];
} {
  const gateway = new FakeGateway();
  const feed = new FeedClient({
    url: 'ws://gateway/ws',
    protocols: ['dockpulse.v1', 'dockpulse.token.eA'],
    WebSocket: gateway.WebSocket,
    backoff: { minDelayMs: 1, maxDelayMs: 1 },
    ...options,
  });
  const states: [ConnectionState, StateDetail][] = [];
  feed.on('state', (s, d) => states.push([s, d]));
  return { gateway, feed, states };
}

test('offers the given subprotocols, token entry included', () => {
  const { gateway, feed } = client();
  feed.connect();
  assert.deepEqual(gateway.sockets[0]?.protocols, ['dockpulse.v1', 'dockpulse.token.eA']);
  feed.close();
});

for (const code of [4400, 4401, 4403, 4410]) {
  test(`close ${code} is final: no retry, until connect() again`, async () => {
    const { gateway, feed, states } = client();
    feed.connect();
    gateway.sockets[0]!.open();
    gateway.sockets[0]!.serverClose(code, 'no');
    await tick(20);
    assert.equal(gateway.sockets.length, 1, 'no second socket');
    assert.deepEqual(states.at(-1), ['closed', { code, reason: 'no', final: true }]);
    feed.connect();
    assert.equal(gateway.sockets.length, 2);
    feed.close();
  });
}

test('other closes retry with backoff and resubscribe', async () => {
  const { gateway, feed, states } = client();
  feed.subscribe(['containers']);
  feed.connect();
  gateway.sockets[0]!.open();
  gateway.sockets[0]!.serverClose(1006);
  assert.equal(states.at(-1)?.[1].final, undefined);
  assert.ok(states.at(-1)?.[1].retryAt !== undefined);
  await tick(20);
  assert.equal(gateway.sockets.length, 2);
  gateway.sockets[1]!.open();
  assert.deepEqual(gateway.sockets[1]!.sent, [{ type: 'subscribe', topics: ['containers'] }]);
  feed.close();
});

test('a second hello on the same socket (a followed share moved) resends nothing', async () => {
  const { gateway, feed } = client();
  const hellos: string[] = [];
  feed.on('message', (m) => {
    if (m.type === 'hello' && m.scope.kind === 'container') hellos.push(m.scope.id);
  });
  feed.subscribe(['stats:' + cid('a')]);
  feed.connect();
  const ws = gateway.socket;
  ws.open(helloFrame({ id: cid('a'), name: 'web-1' }));
  assert.equal(ws.sent.length, 1);
  ws.receive(helloFrame({ id: cid('b'), name: 'web-1' }));
  await tick();
  assert.equal(ws.sent.length, 1, 'the old topic is not resubscribed');
  assert.deepEqual(hellos, [cid('a'), cid('b')]);
  assert.equal(feed.hello?.scope.kind === 'container' && feed.hello.scope.id, cid('b'));
  feed.close();
});

test('historyToResume: the gap since the newest sample held, plus one interval, in whole seconds', () => {
  const cases: [lastT: number, intervalMs: number, now: number, want: number][] = [
    [10_000, 1000, 10_000, 1],
    [10_000, 1000, 15_000, 6],
    [10_000, 1000, 15_001, 7],
    [10_000, 2000, 70_000, 62],
    [10_000, 250, 10_500, 1],
    // A clock that runs behind the server's asks for none rather than a negative number.
    [10_000, 1000, 5_000, 0],
  ];
  for (const [lastT, intervalMs, now, want] of cases)
    assert.equal(historyToResume(lastT, intervalMs, now), want, `${lastT} ${intervalMs} ${now}`);
});

const A = 'stats:' + cid('a');
const B = 'stats:' + cid('b');

test('on a reconnect a held topic asks only for what it missed; one with nothing held, for the default', async () => {
  const { gateway, feed } = client({ history: 30 });
  const lastA = Date.now() - 5500;
  feed.resumeFrom((topic) => (topic === A ? lastA : undefined));
  feed.subscribe(['containers', A, B]);
  feed.connect();
  gateway.sockets[0]!.open();
  gateway.sockets[0]!.serverClose(1006);
  await tick(20);
  gateway.sockets[1]!.open();
  assert.deepEqual(gateway.sockets[1]!.sent, [
    // The container list has no history to ask for.
    { type: 'subscribe', topics: ['containers'] },
    { type: 'subscribe', topics: [A], history: 7 },
    { type: 'subscribe', topics: [B], history: 30 },
  ]);
  feed.close();
});

test('without a default, a topic with nothing held asks for all the server keeps', () => {
  const { gateway, feed } = client();
  feed.resumeFrom(() => undefined);
  feed.subscribe([A]);
  feed.connect();
  gateway.sockets[0]!.open();
  assert.deepEqual(gateway.sockets[0]!.sent, [{ type: 'subscribe', topics: [A] }]);
  feed.close();
});

test('the samples have one holder at a time', () => {
  const { feed } = client();
  const off = feed.resumeFrom(() => undefined);
  assert.throws(() => feed.resumeFrom(() => undefined), /already have a holder/);
  off();
  feed.resumeFrom(() => undefined)();
});

test('a topic whose container was removed is neither unsubscribed nor subscribed again after a reconnect', async () => {
  const { gateway, feed } = client();
  feed.subscribe(['containers', A]);
  feed.connect();
  gateway.socket.open();
  gateway.socket.receive({ type: 'state', topic: A, state: 'removed' });
  assert.deepEqual([...feed.topics], ['containers']);
  feed.unsubscribe([A]);
  await tick();
  gateway.socket.serverClose(1006);
  await tick(20);
  gateway.socket.open();
  assert.deepEqual(gateway.sockets[0]!.topics('unsubscribe'), []);
  assert.deepEqual(gateway.socket.sent, [{ type: 'subscribe', topics: ['containers'] }]);
  feed.close();
});

/** A range answer of one point, as the gateway sends it. */
function rangeAnswer(req: string): ServerMessage {
  return {
    type: 'range',
    req,
    range: {
      container: { host: 'local', id: cid('a'), name: 'web-1' },
      tier: 'minute',
      step: 60,
      t: [60_000],
      series: { cpu: { avg: [50], min: [40], max: [60] } },
    },
  };
}

test('range(): asks with a request id and resolves with the answer that carries it', async () => {
  const { gateway, feed } = client();
  feed.connect();
  gateway.socket.open();
  const first = feed.range({ topic: A, from: 0, to: 120_000, metrics: ['cpu'] });
  const second = feed.range({ topic: B, from: 0, to: 120_000, step: 60 });
  const [m1, m2] = gateway.socket.sent as unknown as RangeRequestMessage[];
  assert.deepEqual({ ...m1, req: '' }, { type: 'range', req: '', topic: A, from: 0, to: 120_000, metrics: ['cpu'] });
  assert.deepEqual({ ...m2, req: '' }, { type: 'range', req: '', topic: B, from: 0, to: 120_000, step: 60 });
  assert.notEqual(m1?.req, m2?.req);
  // Answered out of order: each goes to its own caller.
  gateway.socket.receive({ type: 'error', code: 'forbidden', message: 'this link only shows one container', req: m2!.req });
  gateway.socket.receive(rangeAnswer(m1!.req));
  assert.deepEqual((await first).series.cpu?.avg, [50]);
  await assert.rejects(second, (e: unknown) => e instanceof RangeQueryError && e.code === 'forbidden' && /one container/.test(e.message));
  feed.close();
});

test('range(): asked before the socket opens, sent on hello; asked again on the next socket when it drops', async () => {
  const { gateway, feed } = client();
  feed.connect();
  const answer = feed.range({ topic: A, from: 0, to: 60_000 });
  gateway.sockets[0]!.open();
  assert.equal(gateway.sockets[0]!.sent.length, 1);
  gateway.sockets[0]!.serverClose(1006);
  await tick(20);
  gateway.sockets[1]!.open();
  const [again] = gateway.sockets[1]!.sent as unknown as RangeRequestMessage[];
  assert.equal(again?.type, 'range');
  gateway.sockets[1]!.receive(rangeAnswer(again.req));
  assert.equal((await answer).step, 60);
  feed.close();
});

test('range(): fails with timeout when no answer comes, and with closed on close()', async () => {
  const { gateway, feed } = client();
  feed.connect();
  gateway.socket.open();
  const late = feed.range({ topic: A, from: 0, to: 60_000 }, 10);
  await assert.rejects(late, (e: unknown) => e instanceof RangeQueryError && e.code === 'timeout');
  const cut = feed.range({ topic: A, from: 0, to: 60_000 });
  feed.close();
  await assert.rejects(cut, (e: unknown) => e instanceof RangeQueryError && e.code === 'closed');
  // An answer after the caller gave up is dropped, not delivered twice or thrown.
  gateway.socket.receive(rangeAnswer('r1'));
});
