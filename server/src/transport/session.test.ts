import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import {
  CloseCode,
  ErrorCode,
  PROTOCOL,
  statsTopic,
  type ErrorMessage,
  type HelloMessage,
  type Sample,
  type ServerMessage,
} from '@dockpulse/shared';
import type { Config } from '../config.js';
import { VERSION } from '../main.js';
import { serveFake, type FakeGateway } from '../testing/fake-gateway.js';
import { FAKE_HOST, FakeSource, fakeContainer, fakeSample } from '../testing/fake-source.js';
import { TestClient, type ConnectOptions } from '../../test/helpers/ws-client.js';

/** Bounds every wait, so that a failure fails rather than hangs; no claim about speed. */
const WAIT_MS = 5000;
const MAX_SUBSCRIPTIONS = 2;

const isHello = (m: ServerMessage): m is HelloMessage => m.type === 'hello';
const isError = (m: ServerMessage): m is ErrorMessage => m.type === 'error';

/** A gateway over `source` and the clients a test opens on it; `done` closes them all. */
async function rig(source: FakeSource, tweak: (c: Config) => void = () => {}) {
  const g = await serveFake(source, (c) => {
    c.limits = { ...c.limits, maxSubscriptions: MAX_SUBSCRIPTIONS };
    tweak(c);
  });
  const clients: TestClient[] = [];
  return {
    g,
    /** Opens a socket and waits for its `hello`. */
    async connect(options: ConnectOptions = {}): Promise<TestClient> {
      const c = await TestClient.connect(g.url, options);
      clients.push(c);
      await c.waitFor(isHello, WAIT_MS);
      return c;
    },
    async done(): Promise<void> {
      await Promise.all(clients.map((c) => c.close()));
      await g.stop();
    },
  };
}

/** Connects with a share token for `container`, as a program presenting a share link would. */
async function shareToken(g: FakeGateway, container: { id: string; name: string }, follow = false): Promise<ConnectOptions> {
  const created = await g.shares.create(container, 60_000, follow);
  assert.ok(created !== 'full');
  return { headers: { Authorization: `Bearer ${created.token}` } };
}

/** Sends `frame` (a binary frame for a Buffer) and returns the error it earns; then proves the socket still works. */
async function expectError(client: TestClient, frame: unknown, code: ErrorCode): Promise<ErrorMessage> {
  const since = client.mark();
  if (Buffer.isBuffer(frame)) client.ws.send(frame, { binary: true });
  else client.send(frame);
  const e = await client.waitFor(isError, WAIT_MS, since);
  assert.equal(e.code, code, `for ${String(JSON.stringify(frame)).slice(0, 80)}: ${JSON.stringify(e)}`);
  assert.ok(e.message.length > 0, 'an error says what was wrong');
  await client.roundTrip(WAIT_MS);
  return e;
}

/** The samples of `id` in `history` frames from index `since` on. */
function historyOf(client: TestClient, id: string, since = 0): Sample[] {
  return client.frames.slice(since).flatMap((f) => (f.msg.type === 'history' && f.msg.topic === statsTopic(id) ? f.msg.samples : []));
}

/**
 * Sends a WebSocket ping, which the server answers on its own after handling every message sent before it:
 * resolves `pong` when the socket is still open after them, `closed` when the server closed it.
 */
function barrier(ws: WebSocket): Promise<'pong' | 'closed'> {
  return new Promise((resolve, reject) => {
    const finish = (outcome: 'pong' | 'closed' | Error): void => {
      clearTimeout(timer);
      ws.off('pong', onPong);
      ws.off('close', onClose);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onPong = (): void => finish('pong');
    const onClose = (): void => finish('closed');
    const timer = setTimeout(() => finish(new Error('no pong and no close')), WAIT_MS);
    ws.on('pong', onPong);
    ws.on('close', onClose);
    ws.ping();
  });
}

test('hello is the first frame, with the server, the sampling, the limits and the scope of the socket', async () => {
  const r = await rig(new FakeSource());
  try {
    const c = await r.connect({ protocols: [PROTOCOL] });
    const hello = c.frames[0]?.msg;
    assert.ok(hello?.type === 'hello');
    assert.deepEqual(hello, {
      type: 'hello',
      protocol: PROTOCOL,
      server: VERSION,
      intervalMs: r.g.config.intervalMs,
      historyMs: r.g.config.historyMs,
      limits: r.g.config.limits,
      scope: { kind: 'all' },
      hosts: [
        {
          name: FAKE_HOST,
          state: 'up',
          lastSeen: hello.hosts?.[0]?.lastSeen ?? null,
          containers: 0,
          running: 0,
          engine: r.g.hosts.engineStatus(),
          via: 'engine',
        },
      ],
    });
  } finally {
    await r.done();
  }
});

test('ping is answered with pong carrying the server clock', async () => {
  const r = await rig(new FakeSource());
  try {
    const c = await r.connect();
    const before = Date.now();
    const since = c.mark();
    c.send({ type: 'ping' });
    const pong = await c.waitFor((m) => m.type === 'pong', WAIT_MS, since);
    assert.ok(pong.type === 'pong' && pong.t >= before && pong.t <= Date.now(), JSON.stringify(pong));
  } finally {
    await r.done();
  }
});

test('containers: the list and whether the engine answers, at once and after every change', async () => {
  const web = fakeContainer('web');
  const db = fakeContainer('db');
  const r = await rig(new FakeSource({ containers: [web, db] }));
  try {
    const c = await r.connect();
    let since = c.mark();
    c.send({ type: 'subscribe', topics: ['containers'] });
    const first = await c.waitFor((m) => m.type === 'containers', WAIT_MS, since);
    assert.deepEqual(first.type === 'containers' && first.containers, [db, web], 'every container, sorted by name');
    assert.deepEqual(first.type === 'containers' && first.engine.status, 'up');

    since = c.mark();
    const cache = r.g.source.add(fakeContainer('cache'));
    const added = await c.waitFor((m) => m.type === 'containers', WAIT_MS, since);
    assert.deepEqual(added.type === 'containers' && added.containers.map((x) => x.name), ['cache', 'db', 'web']);

    since = c.mark();
    r.g.source.remove(cache.id);
    r.g.source.goDown('connection refused');
    const down = await c.waitFor((m) => m.type === 'containers' && m.engine.status === 'down', WAIT_MS, since);
    assert.ok(down.type === 'containers');
    assert.deepEqual(down.engine, { status: 'down', endpoint: r.g.hosts.engineStatus().endpoint, error: 'connection refused' });
    assert.deepEqual(down.containers, [db, web], 'the last list known is kept while the engine is down');
  } finally {
    await r.done();
  }
});

test('stats: history first, then the state, then live samples and state changes; a later subscriber gets what was published as history', async () => {
  const web = fakeContainer('web');
  const r = await rig(new FakeSource({ containers: [web] }));
  try {
    const a = await r.connect();
    const aSince = a.mark();
    a.send({ type: 'subscribe', topics: [statsTopic(web.id)] });
    await a.waitFor((m) => m.type === 'state' && m.state === 'running', WAIT_MS, aSince);
    const t = Date.now();
    const published = [fakeSample(web.id, t - 2000), fakeSample(web.id, t - 1000)];
    for (const s of published) r.g.source.push(web.id, s);
    await a.waitForSamples(web.id, 2, WAIT_MS, aSince);
    assert.deepEqual(
      a.frames.slice(aSince).map((f) => f.msg.type),
      ['history', 'state', 'stats'],
      'samples published together reach a socket in one frame',
    );
    assert.deepEqual(historyOf(a, web.id, aSince), [], 'nothing was published before the first subscriber');
    assert.deepEqual(a.samples(web.id, aSince), published);

    const b = await r.connect();
    const bSince = b.mark();
    b.send({ type: 'subscribe', topics: [statsTopic(web.id)] });
    await b.waitFor((m) => m.type === 'state', WAIT_MS, bSince);
    const live = fakeSample(web.id, t);
    r.g.source.push(web.id, live);
    await b.waitForSamples(web.id, 1, WAIT_MS, bSince);
    assert.deepEqual(
      b.frames.slice(bSince).map((f) => f.msg.type),
      ['history', 'state', 'stats'],
    );
    assert.deepEqual(historyOf(b, web.id, bSince), published, 'oldest first');
    assert.deepEqual(b.samples(web.id, bSince), [live]);

    // A state the source reports, and one the list implies, reach every subscriber.
    r.g.source.pushState(web.id, 'paused');
    r.g.source.update(web.id, { state: 'exited', status: 'Exited (0) 1 second ago' });
    for (const c of [a, b]) {
      await c.waitFor((m) => m.type === 'state' && m.state === 'paused', WAIT_MS);
      await c.waitFor((m) => m.type === 'state' && m.state === 'stopped', WAIT_MS);
    }
  } finally {
    await r.done();
  }
});

test('stats with "history": only the samples of the last that many seconds', async () => {
  const web = fakeContainer('web');
  const r = await rig(new FakeSource({ containers: [web] }));
  try {
    const a = await r.connect();
    a.send({ type: 'subscribe', topics: [statsTopic(web.id)] });
    await a.waitFor((m) => m.type === 'state', WAIT_MS);
    const old = fakeSample(web.id, Date.now() - 120_000);
    const recent = fakeSample(web.id, Date.now() - 1000);
    r.g.source.push(web.id, old);
    r.g.source.push(web.id, recent);
    await a.waitForSamples(web.id, 2, WAIT_MS);

    const b = await r.connect();
    for (const [history, expected] of [
      [60, [recent]],
      [0, []],
    ] as const) {
      const since = b.mark();
      b.send({ type: 'subscribe', topics: [statsTopic(web.id)], history });
      await b.waitFor((m) => m.type === 'history', WAIT_MS, since);
      assert.deepEqual(historyOf(b, web.id, since), expected, `history: ${history}`);
      b.send({ type: 'unsubscribe', topics: [statsTopic(web.id)] });
    }
  } finally {
    await r.done();
  }
});

test('after unsubscribe no more samples arrive, while another subscriber keeps getting them', async () => {
  const web = fakeContainer('web');
  const r = await rig(new FakeSource({ containers: [web] }));
  try {
    const [a, b] = [await r.connect(), await r.connect()];
    for (const c of [a, b]) {
      c.send({ type: 'subscribe', topics: [statsTopic(web.id)] });
      await c.waitFor((m) => m.type === 'state', WAIT_MS);
    }
    a.send({ type: 'unsubscribe', topics: [statsTopic(web.id)] });
    await a.roundTrip(WAIT_MS);
    r.g.source.push(web.id);
    await b.waitForSamples(web.id, 1, WAIT_MS);
    // Both sockets' frames of a tick are written before a later pong, so a sample for `a` would be here by now.
    await a.roundTrip(WAIT_MS);
    assert.equal(a.samples(web.id).length, 0);
  } finally {
    await r.done();
  }
});

test('bad frames earn an error that says what and why, and the socket lives on', async () => {
  const web = fakeContainer('web');
  const r = await rig(new FakeSource({ containers: [web] }));
  try {
    const c = await r.connect();
    const cases: [string, unknown, ErrorCode][] = [
      ['cut-off JSON', '{"type": "subscribe", ', ErrorCode.badJson],
      ['a bare word', 'hello', ErrorCode.badJson],
      ['an array', [1, 2], ErrorCode.badMessage],
      ['no type', { topics: ['containers'] }, ErrorCode.badMessage],
      ['a numeric type', { type: 1 }, ErrorCode.badMessage],
      ['topics as a string', { type: 'subscribe', topics: 'containers' }, ErrorCode.badMessage],
      ['no topics', { type: 'unsubscribe' }, ErrorCode.badMessage],
      ['empty topics', { type: 'subscribe', topics: [] }, ErrorCode.badMessage],
      ['a topic that is a number', { type: 'subscribe', topics: [42] }, ErrorCode.badMessage],
      [
        'more topics than a socket may hold',
        { type: 'subscribe', topics: Array.from({ length: MAX_SUBSCRIPTIONS + 1 }, () => 'containers') },
        ErrorCode.badMessage,
      ],
      ['negative history', { type: 'subscribe', topics: ['containers'], history: -1 }, ErrorCode.badMessage],
      ['history as a string', { type: 'subscribe', topics: ['containers'], history: '60' }, ErrorCode.badMessage],
      ['an unknown type', { type: 'subscribeAll' }, ErrorCode.unknownType],
      ['a binary frame', Buffer.from(JSON.stringify({ type: 'ping' })), ErrorCode.binaryUnsupported],
    ];
    for (const [what, frame, code] of cases) {
      await expectError(c, frame, code).catch((e: unknown) => assert.fail(`${what}: ${e instanceof Error ? e.message : String(e)}`));
    }
    assert.ok(!c.frames.some((f) => f.msg.type === 'containers'), 'no bad frame subscribed anything');
  } finally {
    await r.done();
  }
});

test('a malformed topic is bad_topic and an unknown container not_found, each naming the topic; the others are subscribed', async () => {
  const web = fakeContainer('web');
  const r = await rig(new FakeSource({ containers: [web] }));
  try {
    const c = await r.connect();
    const cases: [string, ErrorCode][] = [
      ['stats:abc', ErrorCode.badTopic],
      [`stats:${web.id.toUpperCase()}`, ErrorCode.badTopic],
      [`stats:${web.id.slice(0, 12)}`, ErrorCode.badTopic],
      ['stats:web', ErrorCode.badTopic],
      ['container', ErrorCode.badTopic],
      ['', ErrorCode.badTopic],
      [statsTopic(randomBytes(32).toString('hex')), ErrorCode.notFound],
    ];
    for (const [topic, code] of cases) {
      const e = await expectError(c, { type: 'subscribe', topics: [topic] }, code);
      assert.equal(e.topic, topic);
    }
    assert.equal(c.frames.filter((f) => f.msg.type === 'history' || f.msg.type === 'state').length, 0);

    const since = c.mark();
    c.send({ type: 'subscribe', topics: ['stats:abc', statsTopic(web.id)] });
    const e = await c.waitFor(isError, WAIT_MS, since);
    assert.equal(e.topic, 'stats:abc');
    await c.waitFor((m) => m.type === 'history' && m.topic === statsTopic(web.id), WAIT_MS, since);
  } finally {
    await r.done();
  }
});

test(`a socket holds at most ${MAX_SUBSCRIPTIONS} topics: one more is too_many_subscriptions, and the others keep delivering`, async () => {
  const [web, db] = [fakeContainer('web'), fakeContainer('db')];
  const r = await rig(new FakeSource({ containers: [web, db] }));
  try {
    const c = await r.connect();
    c.send({ type: 'subscribe', topics: ['containers', statsTopic(web.id)] });
    await c.waitFor((m) => m.type === 'state', WAIT_MS);
    const e = await expectError(c, { type: 'subscribe', topics: [statsTopic(db.id)] }, ErrorCode.tooManySubscriptions);
    assert.equal(e.topic, statsTopic(db.id));

    // Subscribing again to a topic it holds is no new subscription: nothing happens.
    const since = c.mark();
    c.send({ type: 'subscribe', topics: [statsTopic(web.id), 'containers'] });
    await c.roundTrip(WAIT_MS);
    assert.deepEqual(
      c.frames.slice(since).map((f) => f.msg.type),
      ['pong'],
    );

    r.g.source.push(web.id);
    await c.waitForSamples(web.id, 1, WAIT_MS);
  } finally {
    await r.done();
  }
});

test('while the engine is down a stats subscription is accepted and reports unavailable, then the truth', async () => {
  const web = fakeContainer('web');
  const unknown = randomBytes(32).toString('hex');
  const cases: [string, (s: FakeSource) => void][] = [
    ['down since start-up', () => {}],
    ['gone down since', (s) => s.goDown()],
  ];
  for (const [what, goDown] of cases) {
    const source = new FakeSource({ containers: [web], down: what === 'down since start-up' });
    const r = await rig(source);
    try {
      goDown(source);
      const c = await r.connect();
      c.send({ type: 'subscribe', topics: [statsTopic(web.id), statsTopic(unknown)] });
      for (const id of [web.id, unknown]) {
        await c.waitFor((m) => m.type === 'state' && m.topic === statsTopic(id) && m.state === 'unavailable', WAIT_MS);
      }
      await c.roundTrip(WAIT_MS);
      assert.equal(c.frames.filter((f) => f.msg.type === 'error').length, 0, `${what}: no error`);

      source.comeUp();
      await c.waitFor((m) => m.type === 'state' && m.topic === statsTopic(web.id) && m.state === 'running', WAIT_MS);
      await c.waitFor((m) => m.type === 'state' && m.topic === statsTopic(unknown) && m.state === 'removed', WAIT_MS);
    } finally {
      await r.done();
    }
  }
});

test('a client over the rate limit is told once, and closed with 4429 after 100 more messages', async () => {
  const burst = 5;
  // No token comes back while the test runs, so the count below is exact.
  const r = await rig(new FakeSource(), (c) => (c.limits = { ...c.limits, messagesPerSecond: 0.001, messageBurst: burst }));
  try {
    const c = await r.connect();
    const since = c.mark();
    for (let i = 0; i < burst; i++) c.send({ type: 'ping' });
    c.send({ type: 'ping' });
    for (let i = 0; i < 99; i++) c.send({ type: 'ping' });
    assert.equal(await barrier(c.ws), 'pong', 'still open after the 99th message past the one that was refused');
    const told = c.frames.slice(since).map((f) => f.msg);
    assert.equal(told.filter((m) => m.type === 'pong').length, burst, 'the burst is served');
    assert.deepEqual(
      told.filter(isError).map((e) => e.code),
      [ErrorCode.rateLimited],
      'told once per episode',
    );

    c.send({ type: 'ping' });
    const closed = await c.waitForClose(WAIT_MS);
    assert.equal(closed.code, CloseCode.rateLimited);
    assert.equal(c.frames.slice(since).filter((f) => f.msg.type === 'error').length, 1);
  } finally {
    await r.done();
  }
});

test('a share socket may subscribe only to its own container: forbidden for another and for the list', async () => {
  const [web, db] = [fakeContainer('web'), fakeContainer('db')];
  const r = await rig(new FakeSource({ containers: [web, db] }));
  try {
    const c = await r.connect(await shareToken(r.g, web));
    const hello = c.frames.map((f) => f.msg).find(isHello);
    assert.deepEqual(hello?.scope, { kind: 'container', host: FAKE_HOST, id: web.id, name: 'web' });

    c.send({ type: 'subscribe', topics: [statsTopic(web.id)] });
    await c.waitFor((m) => m.type === 'state' && m.state === 'running', WAIT_MS);
    for (const topic of ['containers', statsTopic(db.id)]) {
      const e = await expectError(c, { type: 'subscribe', topics: [topic] }, ErrorCode.forbidden);
      assert.equal(e.topic, topic);
    }
    r.g.source.push(db.id);
    r.g.source.push(web.id);
    await c.waitForSamples(web.id, 1, WAIT_MS);
    assert.equal(c.samples(db.id).length, 0);
    assert.ok(!c.frames.some((f) => f.msg.type === 'containers'), 'no container list reaches a share socket');
  } finally {
    await r.done();
  }
});

test('a share that follows a name moves to the re-created container with a new hello; one that does not, stays', async () => {
  const old = fakeContainer('web');
  const r = await rig(new FakeSource({ containers: [old] }));
  try {
    const following = await r.connect(await shareToken(r.g, old, true));
    const fixed = await r.connect(await shareToken(r.g, old, false));
    for (const c of [following, fixed]) {
      c.send({ type: 'subscribe', topics: [statsTopic(old.id)] });
      await c.waitFor((m) => m.type === 'state' && m.state === 'running', WAIT_MS);
    }

    const since = following.mark();
    r.g.source.remove(old.id);
    const replacement = r.g.source.add(fakeContainer('web'));
    const moved = await following.waitFor(isHello, WAIT_MS, since);
    assert.deepEqual(moved.scope, { kind: 'container', host: FAKE_HOST, id: replacement.id, name: 'web' });
    following.send({ type: 'subscribe', topics: [statsTopic(replacement.id)] });
    await following.waitFor((m) => m.type === 'history' && m.topic === statsTopic(replacement.id), WAIT_MS, since);
    const refused = await expectError(following, { type: 'subscribe', topics: [statsTopic(old.id)] }, ErrorCode.forbidden);
    assert.equal(refused.topic, statsTopic(old.id));

    // The fixed share saw the same change (the removal reached it) and keeps its container.
    await fixed.waitFor((m) => m.type === 'state' && m.state === 'removed', WAIT_MS);
    assert.equal(fixed.frames.filter((f) => f.msg.type === 'hello').length, 1, 'no new hello for a share that does not follow');
    await expectError(fixed, { type: 'subscribe', topics: [statsTopic(replacement.id)] }, ErrorCode.forbidden);
    await expectError(fixed, { type: 'subscribe', topics: [statsTopic(old.id)] }, ErrorCode.notFound);
  } finally {
    await r.done();
  }
});

test('a followed share that moves stops receiving the container it left, though that one still runs', async () => {
  const first = fakeContainer('web');
  const r = await rig(new FakeSource({ containers: [first] }));
  try {
    const c = await r.connect(await shareToken(r.g, first, true));
    // The link's own container is removed and re-created: the link moves to the re-creation.
    r.g.source.remove(first.id);
    const old = r.g.source.add(fakeContainer('web'));
    await c.waitFor((m) => isHello(m) && m.scope.kind === 'container' && m.scope.id === old.id, WAIT_MS);
    c.send({ type: 'subscribe', topics: [statsTopic(old.id)] });
    await c.waitFor((m) => m.type === 'state' && m.state === 'running', WAIT_MS);

    // Its first container gone, the link shows whichever container holds the name (as documented).
    const since = c.mark();
    r.g.source.update(old.id, { name: 'web-old' });
    const replacement = r.g.source.add(fakeContainer('web'));
    await c.waitFor((m) => isHello(m) && m.scope.kind === 'container' && m.scope.id === replacement.id, WAIT_MS, since);
    c.send({ type: 'subscribe', topics: [statsTopic(replacement.id)] });
    await c.waitFor((m) => m.type === 'state' && m.topic === statsTopic(replacement.id), WAIT_MS, since);

    r.g.source.push(old.id);
    r.g.source.push(replacement.id);
    await c.waitForSamples(replacement.id, 1, WAIT_MS, since);
    assert.equal(c.samples(old.id, since).length, 0);
  } finally {
    await r.done();
  }
});
