import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FeedClient, historyToResume, type ConnectionState, type FeedClientOptions, type StateDetail } from './feed-client.js';

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

function client(options: Partial<FeedClientOptions> = {}): { feed: FeedClient; states: [ConnectionState, StateDetail][] } {
  FakeSocket.all = [];
  const feed = new FeedClient({
    url: 'ws://gateway/ws',
    protocols: ['dockpulse.v1', 'dockpulse.token.eA'],
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    backoff: { minDelayMs: 1, maxDelayMs: 1 },
    ...options,
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

const A = 'stats:' + 'a'.repeat(64);
const B = 'stats:' + 'b'.repeat(64);

test('on a reconnect a held topic asks only for what it missed; one with nothing held, for the default', async () => {
  const { feed } = client({ history: 30 });
  const lastA = Date.now() - 5500;
  feed.resumeFrom((topic) => (topic === A ? lastA : undefined));
  feed.subscribe(['containers', A, B]);
  feed.connect();
  FakeSocket.all[0]!.open(HELLO());
  FakeSocket.all[0]!.serverClose(1006);
  await tick(20);
  FakeSocket.all[1]!.open(HELLO());
  assert.deepEqual(FakeSocket.all[1]!.sent, [
    // The container list has no history to ask for.
    { type: 'subscribe', topics: ['containers'] },
    { type: 'subscribe', topics: [A], history: 7 },
    { type: 'subscribe', topics: [B], history: 30 },
  ]);
  feed.close();
});

test('without a default, a topic with nothing held asks for all the server keeps', () => {
  const { feed } = client();
  feed.resumeFrom(() => undefined);
  feed.subscribe([A]);
  feed.connect();
  FakeSocket.all[0]!.open(HELLO());
  assert.deepEqual(FakeSocket.all[0]!.sent, [{ type: 'subscribe', topics: [A] }]);
  feed.close();
});

test('the samples have one holder at a time', () => {
  const { feed } = client();
  const off = feed.resumeFrom(() => undefined);
  assert.throws(() => feed.resumeFrom(() => undefined), /already have a holder/);
  off();
  feed.resumeFrom(() => undefined)();
});
