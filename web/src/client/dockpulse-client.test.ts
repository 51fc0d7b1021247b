import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { hostStatsTopic, type ServerMessage } from '@dockpulse/shared';
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
import {
  DockpulseClient,
  SCOPE,
  type DockpulseClientOptions,
  type HistoryError,
  type Sample,
  type WatchStatus,
} from './dockpulse-client.js';

const WEB = summary(cid('a'), 'web-1');
const DB = summary(cid('b'), 'db');

/** A client of a fake gateway, closed when the test ends. */
function open(
  t: TestContext,
  options: Partial<DockpulseClientOptions> = {},
): { client: DockpulseClient; gateway: FakeGateway; ws: FakeSocket } {
  const gateway = new FakeGateway();
  const client = new DockpulseClient({ url: 'http://gateway:8080', WebSocket: gateway.WebSocket, ...options });
  t.after(() => client.close());
  return { client, gateway, ws: gateway.socket };
}

/** Watches `target`, recording what it is told. */
function watch(client: DockpulseClient, target: string): { samples: Sample[]; statuses: WatchStatus[]; off: () => void } {
  const samples: Sample[] = [];
  const statuses: WatchStatus[] = [];
  const off = client.watch(
    target,
    (s) => samples.push(s),
    (s) => statuses.push(s),
  );
  return { samples, statuses, off };
}

test('connects to the gateway address given, offering the token as a subprotocol entry', (t) => {
  const { ws } = open(t, { token: 'x' });
  assert.equal(ws.url, 'ws://gateway:8080/ws');
  assert.deepEqual(ws.protocols, ['dockpulse.v1', 'dockpulse.token.eA']);
});

test('a watch by name: the container, its state, then its samples one by one', async (t) => {
  const { client, ws } = open(t, { history: 5 });
  const w = watch(client, 'web-1');
  ws.open();
  await tick();
  assert.deepEqual(ws.sent, [{ type: 'subscribe', topics: ['containers'] }]);
  ws.receive(containersFrame([DB, WEB]));
  await tick();
  assert.deepEqual(ws.sent.at(-1), { type: 'subscribe', topics: [statsOf(WEB.id)], history: 5 });
  ws.receive({ type: 'history', topic: statsOf(WEB.id), samples: [sample(WEB.id, 1000), sample(WEB.id, 2000)] });
  ws.receive({ type: 'state', topic: statsOf(WEB.id), state: 'running' });
  ws.receive({ type: 'stats', samples: [sample(DB.id, 3000), sample(WEB.id, 3000)] });
  assert.deepEqual(
    w.samples.map((s) => [s.id, s.t]),
    [
      [WEB.id, 1000],
      [WEB.id, 2000],
      [WEB.id, 3000],
    ],
  );
  assert.deepEqual(w.statuses, [
    { type: 'connection', state: 'open', final: false },
    { type: 'container', host: HOST, id: WEB.id, name: 'web-1' },
    { type: 'state', state: 'running' },
  ]);
  assert.equal(client.state, 'open');
});

test('a refused token is final: the watch is told, and nothing is retried', async (t) => {
  const { client, gateway, ws } = open(t, { token: 'dps1.x' });
  const w = watch(client, SCOPE);
  ws.serverClose(4410, 'link revoked');
  await tick(20);
  assert.deepEqual(w.statuses.at(-1), { type: 'connection', state: 'closed', code: 4410, reason: 'link revoked', final: true });
  assert.equal(gateway.sockets.length, 1);
  assert.equal(client.state, 'closed');
});

test('containers(): the list now and after every change, until ended', async (t) => {
  const { client, ws } = open(t);
  const lists: string[][] = [];
  const off = client.containers((list, engine) => lists.push([engine.status, ...list.map((c) => c.name)]));
  ws.open();
  await tick();
  ws.receive(containersFrame([DB, WEB]));
  ws.receive(containersFrame([DB], 'down'));
  off();
  await tick();
  ws.receive(containersFrame([]));
  assert.deepEqual(lists, [
    ['up', 'db', 'web-1'],
    ['down', 'db'],
  ]);
  assert.deepEqual(ws.topics('unsubscribe'), ['containers']);
});

test('after close() nothing is called', async (t) => {
  const { client, ws } = open(t);
  const w = watch(client, WEB.id);
  ws.open();
  const told = w.statuses.length + w.samples.length;
  client.close();
  ws.receive({ type: 'stats', samples: [sample(WEB.id, 1000)] });
  await tick();
  assert.equal(w.statuses.length + w.samples.length, told);
  assert.equal(client.state, 'closed');
});

test('a wrong argument is said at once', (t) => {
  const { client } = open(t);
  assert.throws(() => client.watch('', () => {}), TypeError);
  assert.throws(() => client.watch('web-1', undefined as unknown as () => void), TypeError);
});

test('with a share token, "-" shows the token\'s container', async (t) => {
  const { client, ws } = open(t, { token: 'dps1.x' });
  const w = watch(client, SCOPE);
  ws.open(helloFrame({ id: WEB.id, name: 'web-1' }));
  await tick();
  assert.deepEqual(w.statuses.at(-1), { type: 'container', host: HOST, id: WEB.id, name: 'web-1' });
  assert.deepEqual(ws.sent, [{ type: 'subscribe', topics: [statsOf(WEB.id)] }]);
});

test('with a share token, a watch of any other container is told forbidden and gets nothing', async (t) => {
  // By name, by id, by id prefix, and a name that exists nowhere: the token allows web-1 alone.
  for (const target of ['db', DB.id, 'bbbb', 'no-such-container']) {
    const { client, ws } = open(t, { token: 'dps1.x' });
    const w = watch(client, target);
    ws.open(helloFrame({ id: WEB.id, name: 'web-1' }));
    await tick();
    ws.receive({ type: 'history', topic: statsOf(WEB.id), samples: [sample(WEB.id, 1000)] });
    ws.receive({ type: 'stats', samples: [sample(WEB.id, 2000)] });
    const told = w.statuses.filter((s) => s.type !== 'connection');
    assert.equal(told.length, 1, `${target}: ${JSON.stringify(told)}`);
    assert.equal(told[0]?.type === 'error' && told[0].code, 'forbidden', target);
    assert.deepEqual(w.samples, [], target);
    assert.deepEqual(ws.sent, [], `${target}: nothing asked for`);
  }
});

test("with a share token, its own container is shown by '-', name, id or id prefix", async (t) => {
  for (const target of [SCOPE, 'web-1', WEB.id, 'aaaa']) {
    const { client, ws } = open(t, { token: 'dps1.x' });
    const w = watch(client, target);
    ws.open(helloFrame({ id: WEB.id, name: 'web-1' }));
    await tick();
    ws.receive({ type: 'stats', samples: [sample(WEB.id, 2000)] });
    assert.deepEqual(
      w.statuses.filter((s) => s.type !== 'connection'),
      [{ type: 'container', host: HOST, id: WEB.id, name: 'web-1' }],
      target,
    );
    assert.equal(w.samples.length, 1, target);
  }
});

test('containers() with a share token is told forbidden, and asks the gateway for nothing', async (t) => {
  const { client, ws } = open(t, { token: 'dps1.x' });
  const lists: unknown[] = [];
  const errors: unknown[] = [];
  client.containers(
    (list) => lists.push(list),
    (error) => errors.push(error),
  );
  ws.open(helloFrame({ id: WEB.id, name: 'web-1' }));
  await tick();
  assert.equal(errors.length, 1);
  assert.deepEqual({ ...(errors[0] as object), message: '' }, { type: 'error', code: 'forbidden', message: '' });
  assert.deepEqual(lists, []);
  assert.deepEqual(ws.sent, []);
});

test('containers() with a share token and no onError says why on the console', async (t) => {
  const warn = t.mock.method(console, 'warn', () => {});
  const { client, ws } = open(t, { token: 'dps1.x' });
  client.containers(() => {});
  ws.open(helloFrame({ id: WEB.id, name: 'web-1' }));
  await tick();
  assert.equal(warn.mock.callCount(), 1);
  assert.match(String(warn.mock.calls[0]?.arguments[0]), /share token/);
});

test('a watch of "<host>/<name>": the container and its host, and that host\'s samples', async (t) => {
  const { client, ws } = open(t);
  const core = summary(WEB.id, 'web-1', 'running', 'core');
  const edge = summary(WEB.id, 'web-1', 'running', 'edge');
  const hosts = [hostInfo('core', 'up', [core, edge]), hostInfo('edge', 'up', [core, edge])];
  const w = watch(client, 'edge/web-1');
  const any = watch(client, 'web-1');
  ws.open(helloFrame(undefined, { hosts }));
  ws.receive(containersFrame([core, edge], 'up', hosts));
  await tick();
  ws.receive({ type: 'stats', samples: [hostSample('core', WEB.id, 1000), hostSample('edge', WEB.id, 1000)] });
  assert.deepEqual(
    w.statuses.filter((s) => s.type !== 'connection'),
    [{ type: 'container', host: 'edge', id: WEB.id, name: 'web-1' }],
  );
  assert.deepEqual(
    w.samples.map((s) => s.host),
    ['edge'],
  );
  assert.deepEqual(
    any.statuses.filter((s) => s.type !== 'connection').map((s) => s.type === 'error' && s.code),
    ['ambiguous'],
  );
  assert.ok(ws.topics('subscribe').includes(hostStatsTopic('edge', WEB.id)));
});

test('containers(): the hosts come as a third argument', (t) => {
  const { client, ws } = open(t);
  const told: string[] = [];
  client.containers((list, engine, hosts) => told.push(`${list.length} ${engine.status} ${hosts.map((h) => h.name).join(',')}`));
  const core = summary(WEB.id, 'web-1', 'running', 'core');
  const hosts = [hostInfo('core', 'up', [core]), hostInfo('edge', 'unavailable', [core])];
  ws.open(helloFrame(undefined, { hosts }));
  ws.receive(containersFrame([core], 'up', hosts));
  assert.deepEqual(told, ['1 down core,edge']);
});

/** The range request a socket sent last. */
function lastRange(ws: FakeSocket): { req: string; topic: string; from: number; to: number; step?: number; metrics?: string[] } {
  const sent = ws.sent.filter((m) => m.type === 'range').at(-1);
  if (!sent) throw new Error('no range request sent');
  return sent as unknown as { req: string; topic: string; from: number; to: number };
}

function answer(req: string, host = HOST): ServerMessage {
  return {
    type: 'range',
    req,
    range: {
      container: { host, id: WEB.id, name: 'web-1' },
      tier: 'minute',
      step: 60,
      t: [0, 60_000],
      series: { cpu: { avg: [1, null], min: [0, null], max: [2, null] } },
    },
  };
}

test('history(): a container on a host, answered in columns with null gaps', async (t) => {
  const { client, ws } = open(t);
  ws.open();
  const got = client.history('edge/web-1', { from: 0, to: 120_000, metrics: ['cpu'] });
  await tick();
  const sent = lastRange(ws);
  assert.deepEqual(
    { ...sent, req: '' },
    { type: 'range', req: '', topic: hostStatsTopic('edge', 'web-1'), from: 0, to: 120_000, metrics: ['cpu'] },
  );
  ws.receive(answer(sent.req, 'edge'));
  assert.deepEqual((await got).series.cpu?.avg, [1, null]);
  const byObject = client.history({ host: 'edge', ref: 'web-1' }, { from: 0, to: 60_000, step: 60 });
  await tick();
  assert.equal(lastRange(ws).topic, hostStatsTopic('edge', 'web-1'));
  ws.receive(answer(lastRange(ws).req));
  await byObject;
});

test("history('-'): the share token's container, once hello names it; the gateway's refusal is the error", async (t) => {
  const { client, ws } = open(t, { token: 'dps1.x' });
  const got = client.history(SCOPE, { from: 0, to: 60_000 });
  ws.open(helloFrame({ id: WEB.id, name: 'web-1' }));
  await tick();
  assert.equal(lastRange(ws).topic, statsOf(WEB.id));
  ws.receive({ type: 'error', code: 'unavailable', message: 'this gateway keeps no history', req: lastRange(ws).req });
  await assert.rejects(got, (e: HistoryError) => e.code === 'unavailable' && e.message === 'this gateway keeps no history');
});

test('history(): a bare name means the one host of a gateway of one host; with several it must name the host', async (t) => {
  const one = open(t);
  const got = one.client.history('web-1', { from: 0, to: 60_000 });
  one.ws.open();
  await tick();
  assert.equal(lastRange(one.ws).topic, statsOf('web-1'));
  one.ws.receive(answer(lastRange(one.ws).req));
  await got;

  const two = open(t);
  two.ws.open(helloFrame(undefined, { hosts: [hostInfo('core'), hostInfo('edge')] }));
  await assert.rejects(two.client.history('web-1', { from: 0, to: 60_000 }), (e: HistoryError) => e.code === 'ambiguous');
  await assert.rejects(two.client.history(SCOPE, { from: 0, to: 60_000 }), (e: HistoryError) => e.code === 'no_scope');
  assert.deepEqual(
    two.ws.sent.filter((m) => m.type === 'range'),
    [],
  );
});

test('history() waiting for the gateway fails with closed on close()', async (t) => {
  const { client } = open(t);
  const got = client.history('web-1', { from: 0, to: 60_000 });
  client.close();
  await assert.rejects(got, (e: HistoryError) => e.code === 'closed');
});
