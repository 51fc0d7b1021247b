import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeGateway, cid, helloFrame, tick } from '../testing/fake-gateway.js';
import { FeedClient, historyToResume, type ConnectionState, type FeedClientOptions, type StateDetail } from './feed-client.js';

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
