import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { statsTopic, type ContainerSummary } from '@dockpulse/shared';
import { FeedClient } from '../client/feed-client.js';
import { FakeGateway, cid, containersFrame, helloFrame, sample, summary, tick, type FakeSocket } from '../testing/fake-gateway.js';
import { Dashboard } from './dashboard.svelte.js';

const A = summary(cid('a'), 'a-web');
const B = summary(cid('b'), 'b-db', 'exited');
const C = summary(cid('c'), 'c-cache');
const D = summary(cid('d'), 'd-worker');

/** A started, connected dashboard whose gateway says hello with `maxSubscriptions`; stopped when the test ends. */
function connected(t: TestContext, maxSubscriptions = 256): { dash: Dashboard; gateway: FakeGateway; ws: FakeSocket } {
  const gateway = new FakeGateway();
  const dash = new Dashboard(
    new FeedClient({ url: 'ws://gateway/ws', WebSocket: gateway.WebSocket, backoff: { minDelayMs: 1, maxDelayMs: 1 } }),
  );
  t.after(dash.start());
  dash.connect();
  gateway.socket.open(helloFrame(undefined, { maxSubscriptions }));
  return { dash, gateway, ws: gateway.socket };
}

/** The stats topics the dashboard holds now, as container names. */
function held(dash: Dashboard, ws: FakeSocket, list: ContainerSummary[]): string[] {
  const subscribed = new Set<string>();
  for (const m of ws.sent) {
    for (const t of m.topics ?? []) {
      if (m.type === 'subscribe') subscribed.add(t);
      else if (m.type === 'unsubscribe') subscribed.delete(t);
    }
  }
  return list.filter((c) => subscribed.has(statsTopic(c.id))).map((c) => c.name);
}

test('within the subscription limit: the containers a view shows first, then running ones, then the rest', async (t) => {
  // Four topics: the list and three containers.
  const { dash, ws } = connected(t, 4);
  const all = [A, B, C, D];
  ws.receive(containersFrame(all));
  await tick();
  assert.deepEqual(held(dash, ws, all), ['a-web', 'c-cache', 'd-worker']);
  assert.deepEqual(dash.subscriptionLimit, { shown: 3, total: 4, max: 4 });

  const release = dash.focus(B.id);
  await tick();
  assert.deepEqual(held(dash, ws, all), ['a-web', 'b-db', 'c-cache']);
  release();
  await tick();
  assert.deepEqual(held(dash, ws, all), ['a-web', 'c-cache', 'd-worker']);

  // Within the limit, every container is live and nothing is said.
  ws.receive(containersFrame([A, B, C]));
  await tick();
  assert.deepEqual(held(dash, ws, all), ['a-web', 'b-db', 'c-cache']);
  assert.equal(dash.subscriptionLimit, null);
});

test('samples go to their own container, and a reconnect asks only for what each one missed', async (t) => {
  const { dash, gateway, ws } = connected(t);
  ws.receive(containersFrame([A, C]));
  await tick();
  const last = Date.now() - 5500;
  ws.receive({ type: 'history', topic: statsTopic(A.id), samples: [sample(A.id, last - 1000)] });
  ws.receive({ type: 'stats', samples: [sample(A.id, last), sample(cid('f'), last)] });
  const [a, c] = dash.containers;
  assert.equal(a?.latest?.t, last);
  assert.equal(a?.ring.length, 2);
  assert.equal(c?.latest, null);

  ws.serverClose(1006);
  await tick(20);
  gateway.socket.open();
  // A has samples up to `last`: the gap plus one interval. C has none: all the gateway keeps.
  assert.deepEqual(gateway.socket.sent, [
    { type: 'subscribe', topics: ['containers', statsTopic(C.id)] },
    { type: 'subscribe', topics: [statsTopic(A.id)], history: 7 },
  ]);
  // The history sent again overlaps what is held: nothing twice.
  gateway.socket.receive({ type: 'history', topic: statsTopic(A.id), samples: [sample(A.id, last), sample(A.id, last + 1000)] });
  const ring = a.ring;
  assert.deepEqual(
    Array.from({ length: ring.length }, (_, i) => ring.timeAt(i) - last),
    [-1000, 0, 1000],
  );
});

test('a removed container leaves the list, but stays while a view shows it', async (t) => {
  const { dash, ws } = connected(t);
  ws.receive(containersFrame([A, B, C]));
  await tick();
  const viewed = dash.resolve('c-cache');
  assert.equal(viewed?.id, C.id);
  const release = dash.focus(C.id);

  ws.receive(containersFrame([A]));
  await tick();
  assert.deepEqual(
    dash.containers.map((l) => l.summary.name),
    ['a-web'],
  );
  assert.equal(dash.resolve('b-db'), undefined, 'gone with no view');
  assert.equal(dash.resolve('c-cache'), viewed, 'still there for its view');
  assert.equal(viewed?.removed, true);
  assert.equal(viewed?.view.state, 'removed');
  assert.deepEqual(held(dash, ws, [A, B, C]), ['a-web']);

  // Re-created under the same name while the view still holds the old one: the address means the new one.
  const again = summary(cid('e'), 'c-cache');
  ws.receive(containersFrame([A, again]));
  assert.equal(dash.resolve('c-cache')?.id, again.id);
  assert.equal(dash.resolve(C.id), viewed);
  release();
  assert.equal(dash.resolve(C.id), undefined);
});

test('an engine that does not answer lists nothing, and the rows stay', async (t) => {
  const { dash, ws } = connected(t);
  ws.receive(containersFrame([A, C]));
  await tick();
  ws.receive(containersFrame([], 'down'));
  assert.equal(dash.engine?.status, 'down');
  assert.deepEqual(
    dash.containers.map((l) => l.summary.name),
    ['a-web', 'c-cache'],
  );
  assert.deepEqual(ws.topics('unsubscribe'), []);
});

test('resolve: a full id, else a name, else a unique id prefix', async (t) => {
  const { dash, ws } = connected(t);
  const prefixed = summary('ab'.padEnd(64, '0'), 'aaaa');
  ws.receive(containersFrame([A, C, prefixed]));
  await tick();
  const cases: [string, string | undefined][] = [
    [A.id, 'a-web'],
    ['c-cache', 'c-cache'],
    ['cccc', 'c-cache'],
    // A name wins over an id prefix that spells it.
    ['aaaa', 'aaaa'],
    ['ccc', undefined],
    ['nope', undefined],
  ];
  for (const [ref, want] of cases) assert.equal(dash.resolve(ref)?.summary.name, want, ref);
});
