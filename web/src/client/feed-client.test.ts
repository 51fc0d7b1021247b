import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeedClient, type ConnectionState, type StateDetail } from './feed-client.js';

const HELLO = (scopeId?: string) =>
  JSON.stringify({
    type: 'hello',
    protocol: 'dockpulse.v1',
    server: 'dockpulse/test',
    intervalMs: 1000,
    historyMs: 60_000,
    limits: { maxPayloadBytes: 65536, maxSubscriptions: 256, messagesPerSecond: 20, messageBurst: 40 },
    scope: scopeId ? { kind: 'container', id: scopeId, name: 'web-1' } : { kind: 'all' },
  });

/** A stand-in for the browser's WebSocket that records what the client does with it. */
class FakeSocket {
  static all: FakeSocket[] = [];
  readonly OPEN = 1;
  readyState = 0;
  sent: unknown[] = [];
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.readyState = 3;
  }
  /** The server opens the socket and says hello. */
  open(hello: string): void {
    this.readyState = 1;
    this.onmessage?.({ data: hello });
  }
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function client(): { feed: FeedClient; states: [ConnectionState, StateDetail][] } {
  FakeSocket.all = [];
  const feed = new FeedClient({
    url: 'ws://gateway/ws',
    protocols: ['dockpulse.v1', 'dockpulse.token.eA'],
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    backoff: { minDelayMs: 1, maxDelayMs: 1 },
  });
  const states: [ConnectionState, StateDetail][] = [];
  feed.on('state', (s, d) => states.push([s, d]));
  return { feed, states };
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

test('offers the given subprotocols, token entry included', () => {
  const { feed } = client();
  feed.connect();
  assert.deepEqual(FakeSocket.all[0]?.protocols, ['dockpulse.v1', 'dockpulse.token.eA']);
  feed.close();
});

for (const code of [4400, 4401, 4403, 4410]) {
  test(`close ${code} is final: no retry, until connect() again`, async () => {
    const { feed, states } = client();
    feed.connect();
    FakeSocket.all[0]!.open(HELLO());
    FakeSocket.all[0]!.serverClose(code, 'no');
    await tick(20);
    assert.equal(FakeSocket.all.length, 1, 'no second socket');
    assert.deepEqual(states.at(-1), ['closed', { code, reason: 'no', final: true }]);
    feed.connect();
    assert.equal(FakeSocket.all.length, 2);
    feed.close();
  });
}

test('other closes retry with backoff and resubscribe', async () => {
  const { feed, states } = client();
  feed.subscribe(['containers']);
  feed.connect();
  FakeSocket.all[0]!.open(HELLO());
  FakeSocket.all[0]!.serverClose(1006);
  assert.equal(states.at(-1)?.[1].final, undefined);
  assert.ok(states.at(-1)?.[1].retryAt !== undefined);
  await tick(20);
  assert.equal(FakeSocket.all.length, 2);
  FakeSocket.all[1]!.open(HELLO());
  assert.deepEqual(FakeSocket.all[1]!.sent, [{ type: 'subscribe', topics: ['containers'] }]);
  feed.close();
});

test('a second hello on the same socket (a followed share moved) resends nothing', async () => {
  const { feed } = client();
  const hellos: string[] = [];
  feed.on('message', (m) => {
    if (m.type === 'hello' && m.scope.kind === 'container') hellos.push(m.scope.id);
  });
  feed.subscribe(['stats:' + 'a'.repeat(64)]);
  feed.connect();
  const ws = FakeSocket.all[0]!;
  ws.open(HELLO('a'.repeat(64)));
  assert.equal(ws.sent.length, 1);
  ws.onmessage?.({ data: HELLO('b'.repeat(64)) });
  await tick();
  assert.equal(ws.sent.length, 1, 'the old topic is not resubscribed');
  assert.deepEqual(hellos, ['a'.repeat(64), 'b'.repeat(64)]);
  assert.equal(feed.hello?.scope.kind === 'container' && feed.hello.scope.id, 'b'.repeat(64));
  feed.close();
});
