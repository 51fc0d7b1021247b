import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hostStatsTopic, type ContainerSummary } from '@dockpulse/shared';
import { FeedClient } from '../client/feed-client.js';
import {
  FakeGateway,
  HOST,
  cid,
  containersFrame,
  helloFrame,
  hostInfo,
  hostSample,
  sample,
  statsOf,
  summary,
  tick,
  type FakeSocket,
} from '../testing/fake-gateway.js';
import type { ContainerLive } from './container-live.svelte.js';
import { Dashboard } from './dashboard.svelte.js';

const A = summary(cid('a'), 'a-web');
const B = summary(cid('b'), 'b-db', 'exited');
const C = summary(cid('c'), 'c-cache');
const D = summary(cid('d'), 'd-worker');

/** The one container an address names, as the container view takes it; undefined for none, or several. */
function resolve(dash: Dashboard, ref: string, host?: string): ContainerLive | undefined {
  const found = dash.find(ref, host);
  return found.length === 1 ? found[0] : undefined;
}

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
  return list.filter((c) => subscribed.has(statsOf(c.id))).map((c) => c.name);
}

test('within the subscription limit: the containers a view shows first, then running ones, then the rest', async (t) => {
  // Five topics: the list, the alerts and three containers.
  const { dash, ws } = connected(t, 5);
  const all = [A, B, C, D];
  ws.receive(containersFrame(all));
  await tick();
  assert.deepEqual(held(dash, ws, all), ['a-web', 'c-cache', 'd-worker']);
  assert.deepEqual(dash.subscriptionLimit, { shown: 3, total: 4, max: 5 });

  const release = dash.focus(`${HOST}/${B.id}`);
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
  ws.receive({ type: 'history', topic: statsOf(A.id), samples: [sample(A.id, last - 1000)] });
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
    { type: 'subscribe', topics: ['containers', 'alerts', statsOf(C.id)] },
    { type: 'subscribe', topics: [statsOf(A.id)], history: 7 },
  ]);
  // The history sent again overlaps what is held: nothing twice.
  gateway.socket.receive({ type: 'history', topic: statsOf(A.id), samples: [sample(A.id, last), sample(A.id, last + 1000)] });
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
  const viewed = resolve(dash, 'c-cache');
  assert.equal(viewed?.id, C.id);
  const release = dash.focus(`${HOST}/${C.id}`);

  ws.receive(containersFrame([A]));
  await tick();
  assert.deepEqual(
    dash.containers.map((l) => l.summary.name),
    ['a-web'],
  );
  assert.equal(resolve(dash, 'b-db'), undefined, 'gone with no view');
  assert.equal(resolve(dash, 'c-cache'), viewed, 'still there for its view');
  assert.equal(viewed?.removed, true);
  assert.equal(viewed?.view.state, 'removed');
  assert.deepEqual(held(dash, ws, [A, B, C]), ['a-web']);

  // Re-created under the same name while the view still holds the old one: the address means the new one.
  const again = summary(cid('e'), 'c-cache');
  ws.receive(containersFrame([A, again]));
  assert.equal(resolve(dash, 'c-cache')?.id, again.id);
  assert.equal(resolve(dash, C.id), viewed);
  release();
  assert.equal(resolve(dash, C.id), undefined);
});

test('the alerts topic is held beside the list, and its alerts are grouped by container', async (t) => {
  const { dash, ws } = connected(t);
  const notice = (id: string, rule: string) => ({
    rule: { id: rule, name: rule },
    state: 'firing' as const,
    container: { host: HOST, id, name: id.slice(0, 4) },
    metric: 'cpu' as const,
    op: '>' as const,
    value: 90,
    threshold: 80,
    time: 1,
  });
  assert.ok(ws.topics('subscribe').includes('alerts'));
  ws.receive({ type: 'alerts', firing: [notice(A.id, 'r1'), notice(A.id, 'r2'), notice(C.id, 'r1')] });
  await tick();
  assert.deepEqual(
    dash.firingByKey.get(`${HOST}/${A.id}`)?.map((n) => n.rule.id),
    ['r1', 'r2'],
  );
  assert.equal(dash.firingByKey.get(`${HOST}/${C.id}`)?.length, 1);
  ws.receive({ type: 'alerts', firing: [] });
  await tick();
  assert.equal(dash.firingByKey.size, 0);
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

test('find: a full id, else a name, else a unique id prefix', async (t) => {
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
  for (const [ref, want] of cases) assert.equal(resolve(dash, ref)?.summary.name, want, ref);
});

// ---- several hosts ----

/** The same engine reached as two hosts: the same ids on both. */
const CORE_WEB = summary(cid('a'), 'web-1', 'running', 'core');
const EDGE_WEB = summary(cid('a'), 'web-1', 'running', 'edge');
const EDGE_DB = summary(cid('e'), 'db', 'running', 'edge');
const TWO = [EDGE_DB, CORE_WEB, EDGE_WEB];
const twoHosts = (edge: 'up' | 'unavailable' = 'up') => [hostInfo('core', 'up', TWO), hostInfo('edge', edge, TWO)];

test('two hosts listing the same id are two rows, each with its own topic and samples', async (t) => {
  const { dash, ws } = connected(t);
  ws.receive(containersFrame(TWO, 'up', twoHosts()));
  await tick();
  assert.equal(dash.multiHost, true);
  assert.deepEqual(
    dash.containers.map((l) => l.key),
    [`edge/${EDGE_DB.id}`, `core/${CORE_WEB.id}`, `edge/${EDGE_WEB.id}`],
  );
  assert.deepEqual(
    ws
      .topics('subscribe')
      .filter((x) => x !== 'containers' && x !== 'alerts')
      .sort(),
    [hostStatsTopic('core', CORE_WEB.id), hostStatsTopic('edge', EDGE_WEB.id), hostStatsTopic('edge', EDGE_DB.id)],
  );
  ws.receive({ type: 'history', topic: hostStatsTopic('edge', EDGE_WEB.id), samples: [hostSample('edge', EDGE_WEB.id, 1000)] });
  ws.receive({ type: 'stats', samples: [hostSample('core', CORE_WEB.id, 2000), hostSample('edge', EDGE_WEB.id, 3000)] });
  const [, core, edge] = dash.containers;
  assert.equal(core?.latest?.t, 2000);
  assert.equal(core?.ring.length, 1);
  assert.equal(edge?.latest?.t, 3000);
  assert.equal(edge?.ring.length, 2);
});

test('find across hosts: one container, several (ambiguous), or the one on the host named', async (t) => {
  const { dash, ws } = connected(t);
  ws.receive(containersFrame(TWO, 'up', twoHosts()));
  await tick();
  const cases: { ref: string; host?: string; want: string[] }[] = [
    { ref: 'web-1', want: ['core/web-1', 'edge/web-1'] },
    { ref: 'web-1', host: 'edge', want: ['edge/web-1'] },
    { ref: CORE_WEB.id, want: ['core/web-1', 'edge/web-1'] },
    { ref: CORE_WEB.id, host: 'core', want: ['core/web-1'] },
    { ref: 'db', want: ['edge/db'] },
    { ref: 'db', host: 'core', want: [] },
    { ref: 'web-1', host: 'nowhere', want: [] },
  ];
  for (const c of cases) {
    assert.deepEqual(
      dash.find(c.ref, c.host).map((l) => `${l.host}/${l.summary.name}`),
      c.want,
      `${c.host ?? '*'}/${c.ref}`,
    );
  }
});

test('a host gone silent keeps its rows, shown as unavailable, and its topics; back, they are live again', async (t) => {
  const { dash, ws } = connected(t);
  ws.receive(containersFrame(TWO, 'up', twoHosts()));
  await tick();
  ws.receive(containersFrame(TWO, 'up', twoHosts('unavailable')));
  await tick();
  assert.equal(dash.engine?.status, 'down');
  assert.deepEqual(
    dash.containers.map((l) => `${l.host}/${l.summary.name}:${l.view.state}`),
    ['edge/db:unavailable', 'core/web-1:running', 'edge/web-1:unavailable'],
  );
  assert.deepEqual(ws.topics('unsubscribe'), []);
  ws.receive(containersFrame(TWO, 'up', twoHosts()));
  assert.deepEqual(
    dash.containers.map((l) => l.view.state),
    ['running', 'running', 'running'],
  );
});

test("a host whose engine is down and lists nothing keeps its rows; the other host's list goes on", async (t) => {
  const { dash, ws } = connected(t);
  ws.receive(containersFrame(TWO, 'up', twoHosts()));
  await tick();
  const edgeDown = { ...hostInfo('edge', 'unavailable'), containers: 0, running: 0 };
  // core loses web-1 meanwhile; edge lists nothing while its engine is down.
  ws.receive(containersFrame([], 'up', [hostInfo('core', 'up', []), edgeDown]));
  await tick();
  assert.deepEqual(
    dash.containers.map((l) => `${l.host}/${l.summary.name}:${l.view.state}`),
    ['edge/db:unavailable', 'edge/web-1:unavailable'],
  );
  assert.deepEqual(ws.topics('unsubscribe'), [hostStatsTopic('core', CORE_WEB.id)]);
});
