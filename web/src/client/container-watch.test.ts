import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hostStatsTopic, type ContainerSummary, type HostInfo, type Sample } from '@dockpulse/shared';
import {
  FakeGateway,
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
import { ContainerWatcher, type WatchListener } from './container-watch.js';
import { FeedClient } from './feed-client.js';

const WEB = summary(cid('a'), 'web-1');
const DB = summary(cid('b'), 'db');
/** A container whose name spells an id prefix of another. */
const ABCD = summary('abcd'.padEnd(64, 'e'), 'aaaa');
const LIST = [ABCD, DB, WEB];

/** What one watch was told, in order. */
type Event = ['container', string, string] | ['summary', string | null] | ['samples', number[]] | ['state', string] | ['problem', string];

function recorder(opts: { summaries?: boolean } = {}): { events: Event[]; listener: WatchListener; samples: Sample[]; shown: string[] } {
  const events: Event[] = [];
  const samples: Sample[] = [];
  /** The containers shown, in order, as `<host>/<name>`. */
  const shown: string[] = [];
  const listener: WatchListener = {
    container: (c) => {
      events.push(['container', c.id, c.name]);
      shown.push(`${c.host}/${c.name}`);
    },
    samples: (s) => {
      samples.push(...s);
      events.push(['samples', s.map((x) => x.t)]);
    },
    state: (s) => events.push(['state', s]),
    problem: (p) => events.push(['problem', p]),
  };
  if (opts.summaries) listener.summary = (s: ContainerSummary | null) => events.push(['summary', s?.name ?? null]);
  return { events, listener, samples, shown };
}

/** A watcher on a connected feed, with the gateway's socket open; closed when the test ends. */
function connected(
  t: TestContext,
  scope?: { id: string; name: string; host?: string },
  hosts?: HostInfo[],
): { watcher: ContainerWatcher; feed: FeedClient; gateway: FakeGateway; ws: FakeSocket } {
  const gateway = new FakeGateway();
  const feed = new FeedClient({ url: 'ws://gateway/ws', WebSocket: gateway.WebSocket, backoff: { minDelayMs: 1, maxDelayMs: 1 } });
  t.after(() => feed.close());
  const watcher = new ContainerWatcher(feed);
  feed.connect();
  gateway.socket.open(helloFrame(scope, hosts ? { hosts } : {}));
  return { watcher, feed, gateway, ws: gateway.socket };
}

test('a watch with full access finds its container by id, name, /name or unique id prefix', async (t) => {
  const cases: { target: string; want: ContainerSummary | 'not_found'; needsList: boolean }[] = [
    { target: WEB.id, want: WEB, needsList: false },
    { target: 'web-1', want: WEB, needsList: true },
    { target: '/web-1', want: WEB, needsList: true },
    { target: 'bbbb', want: DB, needsList: true },
    // A name wins over an id prefix that spells it.
    { target: 'aaaa', want: ABCD, needsList: true },
    { target: 'abcd', want: ABCD, needsList: true },
    { target: 'abc', want: 'not_found', needsList: true },
    { target: 'no-such-container', want: 'not_found', needsList: true },
  ];
  for (const c of cases) {
    const { watcher, ws } = connected(t);
    const { events, listener } = recorder();
    watcher.watch(c.target, listener);
    await tick();
    assert.equal(ws.topics('subscribe').includes('containers'), c.needsList, `${c.target}: list subscribed`);
    ws.receive(containersFrame(LIST));
    await tick();
    if (c.want === 'not_found') {
      assert.deepEqual(events, [['problem', 'not_found']], c.target);
      assert.deepEqual(
        ws.topics('subscribe').filter((t) => t !== 'containers'),
        [],
        `${c.target}: nothing subscribed`,
      );
    } else {
      assert.deepEqual(events.at(-1), ['container', c.want.id, c.want.name], c.target);
      assert.ok(ws.topics('subscribe').includes(statsOf(c.want.id)), `${c.target}: stats subscribed`);
    }
  }
});

test('"-" without a share token says so once, and subscribes nothing', async (t) => {
  const { watcher, gateway, ws } = connected(t);
  const { events, listener } = recorder();
  watcher.watch('-', listener);
  await tick();
  assert.deepEqual(events, [['problem', 'no_scope']]);
  assert.deepEqual(ws.sent, []);
  // The same after a reconnect: said once.
  ws.serverClose(1006);
  await tick(20);
  gateway.socket.open();
  await tick();
  assert.deepEqual(events, [['problem', 'no_scope']]);
});

test('with a share token, "-" shows its container, without the list', async (t) => {
  const { watcher, ws } = connected(t, { id: WEB.id, name: 'web-1' });
  const { events, listener } = recorder({ summaries: true });
  watcher.watch('-', listener);
  await tick();
  assert.deepEqual(events, [['container', WEB.id, 'web-1']]);
  assert.deepEqual(ws.sent, [{ type: 'subscribe', topics: [statsOf(WEB.id)] }]);
});

test('with a share token, only its own container: by "-", name, id or id prefix; anything else is forbidden', async (t) => {
  const cases: [target: string, shown: boolean][] = [
    ['-', true],
    ['web-1', true],
    ['/web-1', true],
    [WEB.id, true],
    ['aaaa', true],
    ['db', false],
    [DB.id, false],
    ['bbbb', false],
    ['aaa', false],
    ['no-such-container', false],
  ];
  for (const [target, shown] of cases) {
    const { watcher, ws } = connected(t, { id: WEB.id, name: 'web-1' });
    const { events, listener } = recorder({ summaries: true });
    watcher.watch(target, listener);
    await tick();
    ws.receive({ type: 'stats', samples: [sample(WEB.id, 1000)] });
    if (shown) {
      assert.deepEqual(
        events,
        [
          ['container', WEB.id, 'web-1'],
          ['samples', [1000]],
        ],
        target,
      );
      assert.deepEqual(ws.sent, [{ type: 'subscribe', topics: [statsOf(WEB.id)] }], target);
    } else {
      assert.deepEqual(events, [['problem', 'forbidden']], target);
      assert.deepEqual(ws.sent, [], target);
    }
  }
});

test('when a followed share moves on, a watch of the old container by id is forbidden and released', async (t) => {
  const { watcher, ws } = connected(t, { id: WEB.id, name: 'web-1' });
  const { events, listener } = recorder();
  watcher.watch(WEB.id, listener);
  await tick();
  ws.receive(helloFrame({ id: cid('c'), name: 'web-1' }));
  await tick();
  ws.receive({ type: 'stats', samples: [sample(WEB.id, 1000), sample(cid('c'), 1000)] });
  assert.deepEqual(events, [
    ['container', WEB.id, 'web-1'],
    ['problem', 'forbidden'],
  ]);
  assert.deepEqual(ws.topics('unsubscribe'), [statsOf(WEB.id)]);
});

test('a list listener on a share token socket is told once that there is no list', async (t) => {
  const { watcher, gateway, ws } = connected(t, { id: WEB.id, name: 'web-1' });
  const refused: string[] = [];
  watcher.list({ list: () => assert.fail('no list'), refused: (code) => refused.push(code) });
  ws.serverClose(1006);
  await tick(20);
  gateway.socket.open(helloFrame({ id: WEB.id, name: 'web-1' }));
  await tick();
  assert.deepEqual(refused, ['forbidden']);
  assert.deepEqual(ws.sent, []);
  assert.deepEqual(gateway.socket.sent, []);
});

test('samples come oldest first and each once: history, live, and the overlap after a reconnect', async (t) => {
  const { watcher, gateway, ws } = connected(t);
  const { events, listener, samples } = recorder();
  watcher.watch(WEB.id, listener);
  const topic = statsOf(WEB.id);
  const base = Date.now() - 10_000;
  ws.receive({ type: 'history', topic, samples: [sample(WEB.id, base), sample(WEB.id, base + 1000)] });
  ws.receive({ type: 'state', topic, state: 'running' });
  ws.receive({ type: 'stats', samples: [sample(DB.id, base + 2000), sample(WEB.id, base + 2000)] });
  // Again, as a slow socket's batch may repeat nothing but must not be taken twice.
  ws.receive({ type: 'stats', samples: [sample(WEB.id, base + 2000)] });
  ws.serverClose(1006);
  await tick(20);
  const again = gateway.socket;
  again.open();
  // The resubscribe asks only for the gap since the newest sample held.
  assert.deepEqual(again.sent, [{ type: 'subscribe', topics: [topic], history: Math.ceil((Date.now() - (base + 2000) + 1000) / 1000) }]);
  again.receive({
    type: 'history',
    topic,
    samples: [sample(WEB.id, base + 1000), sample(WEB.id, base + 2000), sample(WEB.id, base + 3000)],
  });
  assert.deepEqual(
    samples.map((s) => s.t - base),
    [0, 1000, 2000, 3000],
  );
  assert.ok(samples.every((s) => s.id === WEB.id));
  assert.deepEqual(events.slice(1), [
    ['samples', [base, base + 1000]],
    ['state', 'running'],
    ['samples', [base + 2000]],
    ['samples', [base + 3000]],
  ]);
});

test('a watch of a name stays on a removed container, then moves to the one re-created under that name', async (t) => {
  const { watcher, ws } = connected(t);
  const { events, listener } = recorder({ summaries: true });
  watcher.watch('web-1', listener);
  ws.receive(containersFrame(LIST));
  await tick();
  ws.receive({ type: 'state', topic: statsOf(WEB.id), state: 'removed' });
  ws.receive(containersFrame([ABCD, DB]));
  const again = summary(cid('c'), 'web-1');
  ws.receive(containersFrame([ABCD, DB, again]));
  await tick();
  assert.deepEqual(events, [
    ['container', WEB.id, 'web-1'],
    ['summary', 'web-1'],
    ['state', 'removed'],
    // Removed: no "not found" for a watch that has shown its container.
    ['summary', null],
    ['container', again.id, 'web-1'],
    ['summary', 'web-1'],
  ]);
  assert.deepEqual(ws.topics('subscribe'), ['containers', statsOf(WEB.id), statsOf(again.id)]);
  // The removed container's subscription ended with it: nothing to unsubscribe.
  assert.deepEqual(ws.topics('unsubscribe'), []);
});

test('a share that follows a name moves its "-" watch when the gateway says hello again', async (t) => {
  const { watcher, ws } = connected(t, { id: WEB.id, name: 'web-1' });
  const { events, listener } = recorder();
  watcher.watch('-', listener);
  ws.receive(helloFrame({ id: cid('c'), name: 'web-1' }));
  await tick();
  assert.deepEqual(events, [
    ['container', WEB.id, 'web-1'],
    ['container', cid('c'), 'web-1'],
  ]);
  assert.deepEqual(ws.topics('subscribe'), [statsOf(cid('c'))]);
});

test('a renamed container is told again, without starting over', async (t) => {
  const { watcher, ws } = connected(t);
  const { events, listener } = recorder();
  watcher.watch(WEB.id, listener);
  ws.receive(containersFrame([summary(WEB.id, 'web-2')]));
  await tick();
  assert.deepEqual(events, [
    ['container', WEB.id, WEB.id.slice(0, 12)],
    ['container', WEB.id, 'web-2'],
  ]);
});

test("the gateway not knowing a container, or forbidding it, is the watch's problem", (t) => {
  for (const code of ['not_found', 'forbidden'] as const) {
    const { watcher, ws } = connected(t);
    const { events, listener } = recorder();
    watcher.watch(WEB.id, listener);
    ws.receive({ type: 'error', code, message: 'no', topic: statsOf(WEB.id) });
    assert.deepEqual(events.at(-1), ['problem', code]);
  }
});

test('a container two watches show stays subscribed until both end; the list, until no one needs it', async (t) => {
  const { watcher, ws } = connected(t);
  const a = recorder();
  const b = recorder();
  const offA = watcher.watch('web-1', a.listener);
  const offB = watcher.watch(WEB.id, b.listener);
  const lists: number[] = [];
  const offList = watcher.list({ list: (l) => lists.push(l.length) });
  ws.receive(containersFrame(LIST));
  await tick();
  ws.receive({ type: 'stats', samples: [sample(WEB.id, 1000)] });
  assert.deepEqual(a.samples.length + b.samples.length, 2, 'each watch gets the sample');
  offA();
  offList();
  await tick();
  assert.deepEqual(ws.topics('unsubscribe'), ['containers']);
  offB();
  await tick();
  assert.deepEqual(ws.topics('unsubscribe'), ['containers', statsOf(WEB.id)]);
  assert.deepEqual(lists, [3]);
});

test('close() releases every topic and tells nothing more', async (t) => {
  const { watcher, ws } = connected(t);
  const { events, listener } = recorder();
  watcher.watch('web-1', listener);
  ws.receive(containersFrame(LIST));
  await tick();
  watcher.close();
  await tick();
  assert.deepEqual(ws.topics('unsubscribe').sort(), ['containers', statsOf(WEB.id)].sort());
  const told = events.length;
  ws.receive({ type: 'stats', samples: [sample(WEB.id, 1000)] });
  ws.receive(containersFrame([]));
  assert.equal(events.length, told);
});

// ---- several hosts ----

/** The same engine reached as two hosts lists the same ids twice; `edge` also has a `db` of its own. */
const CORE_WEB = summary(cid('a'), 'web-1', 'running', 'core');
const EDGE_WEB = summary(cid('a'), 'web-1', 'running', 'edge');
const EDGE_DB = summary(cid('e'), 'db', 'running', 'edge');
const TWO = [EDGE_DB, CORE_WEB, EDGE_WEB];
const TWO_HOSTS = (edge: HostInfo['state'] = 'up'): HostInfo[] => [hostInfo('core', 'up', TWO), hostInfo('edge', edge, TWO)];

test('with several hosts, a target names a container on one host, or is ambiguous', async (t) => {
  const cases: { target: string; want: string; needsList: boolean; topic?: string }[] = [
    { target: 'edge/web-1', want: 'edge/web-1', needsList: true, topic: hostStatsTopic('edge', CORE_WEB.id) },
    { target: 'core//web-1', want: 'core/web-1', needsList: true, topic: hostStatsTopic('core', CORE_WEB.id) },
    // A full id with its host needs no list; without it, the list says which host has it.
    { target: `edge/${CORE_WEB.id}`, want: 'edge/web-1', needsList: false, topic: hostStatsTopic('edge', CORE_WEB.id) },
    { target: 'edge/aaaa', want: 'edge/web-1', needsList: true, topic: hostStatsTopic('edge', CORE_WEB.id) },
    { target: 'db', want: 'edge/db', needsList: true, topic: hostStatsTopic('edge', EDGE_DB.id) },
    { target: 'web-1', want: 'ambiguous', needsList: true },
    { target: CORE_WEB.id, want: 'ambiguous', needsList: true },
    { target: 'aaaa', want: 'ambiguous', needsList: true },
    { target: 'core/db', want: 'not_found', needsList: true },
    { target: 'nowhere/web-1', want: 'not_found', needsList: true },
  ];
  for (const c of cases) {
    const { watcher, ws } = connected(t, undefined, TWO_HOSTS());
    const { events, listener, shown } = recorder();
    watcher.watch(c.target, listener);
    await tick();
    assert.equal(ws.topics('subscribe').includes('containers'), c.needsList, `${c.target}: list subscribed`);
    ws.receive(containersFrame(TWO, 'up', TWO_HOSTS()));
    await tick();
    const stats = ws.topics('subscribe').filter((x) => x !== 'containers');
    if (c.topic === undefined) {
      assert.deepEqual(events, [['problem', c.want]], c.target);
      assert.deepEqual(stats, [], `${c.target}: nothing subscribed`);
    } else {
      // A full id is shown at once by its short id, then by its name once the list has it.
      assert.equal(shown.at(-1), c.want, c.target);
      assert.deepEqual(stats, [c.topic], `${c.target}: stats subscribed`);
    }
  }
});

test("the same id on two hosts: a watch gets its own host's samples only", (t) => {
  const { watcher, ws } = connected(t, undefined, TWO_HOSTS());
  const { listener, samples } = recorder();
  watcher.watch(`edge/${EDGE_WEB.id}`, listener);
  const topic = hostStatsTopic('edge', EDGE_WEB.id);
  ws.receive({ type: 'history', topic: hostStatsTopic('core', EDGE_WEB.id), samples: [hostSample('core', EDGE_WEB.id, 500)] });
  ws.receive({ type: 'history', topic, samples: [hostSample('edge', EDGE_WEB.id, 1000)] });
  ws.receive({ type: 'stats', samples: [hostSample('core', EDGE_WEB.id, 2000), hostSample('edge', EDGE_WEB.id, 2000)] });
  assert.deepEqual(
    samples.map((s) => `${s.host}@${s.t}`),
    ['edge@1000', 'edge@2000'],
  );
});

test('a host that does not answer keeps its containers; its names still resolve, and its absence proves nothing', async (t) => {
  const { watcher, ws } = connected(t, undefined, TWO_HOSTS('unavailable'));
  const kept = recorder();
  const missing = recorder();
  watcher.watch('edge/web-1', kept.listener);
  watcher.watch('edge/no-such', missing.listener);
  ws.receive(containersFrame(TWO, 'up', TWO_HOSTS('unavailable')));
  ws.receive({ type: 'state', topic: hostStatsTopic('edge', EDGE_WEB.id), state: 'unavailable' });
  await tick();
  assert.deepEqual(kept.shown, ['edge/web-1']);
  assert.deepEqual(kept.events.at(-1), ['state', 'unavailable']);
  assert.deepEqual(missing.events, [], 'not "not found" while the host is silent');
  // Back: now its list is whole.
  ws.receive(containersFrame(TWO, 'up', TWO_HOSTS()));
  await tick();
  assert.deepEqual(missing.events, [['problem', 'not_found']]);
});

test('with a share token, its container on its host: a host-qualified target must name that host', async (t) => {
  const cases: [target: string, shown: boolean][] = [
    ['-', true],
    ['edge/web-1', true],
    [`edge/${EDGE_WEB.id}`, true],
    ['web-1', true],
    ['core/web-1', false],
    [`core/${EDGE_WEB.id}`, false],
  ];
  for (const [target, shown] of cases) {
    const { watcher, ws } = connected(t, { host: 'edge', id: EDGE_WEB.id, name: 'web-1' });
    const r = recorder();
    watcher.watch(target, r.listener);
    await tick();
    if (shown) {
      assert.deepEqual(r.shown, ['edge/web-1'], target);
      assert.deepEqual(ws.sent, [{ type: 'subscribe', topics: [hostStatsTopic('edge', EDGE_WEB.id)] }], target);
    } else {
      assert.deepEqual(r.events, [['problem', 'forbidden']], target);
      assert.deepEqual(ws.sent, [], target);
    }
  }
});

test('a list listener is told the hosts with the list', (t) => {
  const { watcher, ws } = connected(t, undefined, TWO_HOSTS());
  const told: string[] = [];
  watcher.list({
    list: (list, engine, hosts) => told.push(`${list.length} ${engine.status} ${hosts.map((h) => `${h.name}:${h.state}`).join(',')}`),
  });
  ws.receive(containersFrame(TWO, 'up', TWO_HOSTS()));
  ws.receive(containersFrame(TWO, 'up', TWO_HOSTS('unavailable')));
  assert.deepEqual(told, ['3 up core:up,edge:up', '3 down core:up,edge:unavailable']);
});

test('a watch stays on the container it shows when another host lists one of the same name', async (t) => {
  const { watcher, ws } = connected(t, undefined, [hostInfo('core', 'up', TWO)]);
  const { events, listener, shown } = recorder();
  watcher.watch('web-1', listener);
  ws.receive(containersFrame([CORE_WEB], 'up', [hostInfo('core', 'up', TWO)]));
  await tick();
  ws.receive(containersFrame(TWO, 'up', TWO_HOSTS()));
  await tick();
  assert.deepEqual(shown, ['core/web-1']);
  assert.ok(!events.some((e) => e[0] === 'problem'));
  assert.deepEqual(ws.topics('unsubscribe'), []);
});

test('a watch of a bare name keeps to its host: it follows the name re-created there, never to another host', async (t) => {
  const { watcher, ws } = connected(t, undefined, TWO_HOSTS());
  const { events, listener, shown } = recorder();
  watcher.watch('db', listener);
  ws.receive(containersFrame(TWO, 'up', TWO_HOSTS()));
  await tick();
  const coreDb = summary(cid('c'), 'db', 'running', 'core');
  const again = summary(cid('f'), 'db', 'running', 'edge');
  ws.receive(containersFrame([CORE_WEB, EDGE_WEB, coreDb], 'up', TWO_HOSTS()));
  ws.receive(containersFrame([CORE_WEB, EDGE_WEB, coreDb, again], 'up', TWO_HOSTS()));
  await tick();
  // Removed from edge while core has a db: the watch stays on edge's last samples, then takes edge's new one.
  assert.deepEqual(shown, ['edge/db', 'edge/db']);
  assert.deepEqual(
    ws.topics('subscribe').filter((x) => x !== 'containers'),
    [hostStatsTopic('edge', EDGE_DB.id), hostStatsTopic('edge', again.id)],
  );
  assert.ok(!events.some((e) => e[0] === 'problem'));
});
