import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { CloseCode, ErrorCode, PROTOCOL, TOKEN_PROTOCOL_PREFIX, type ErrorMessage, type ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { bootGateway, httpGet, topicOf, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const MAX_SUBSCRIPTIONS = 2;
const isError = (m: ServerMessage): m is ErrorMessage => m.type === 'error';

/** Sends `frame` and returns the error frame it earns; then proves the socket still works with ping → pong. */
async function expectError(client: TestClient, frame: unknown, code: string): Promise<ErrorMessage> {
  const since = client.mark();
  client.send(frame);
  const e = await client.waitFor(isError, 5000, since);
  assert.equal(e.code, code, `for ${JSON.stringify(frame).slice(0, 80)}: ${JSON.stringify(e)}`);
  assert.ok(e.message.length > 0, 'an error must say what was wrong');
  await client.roundTrip();
  return e;
}

/** The status line an upgrade request to /ws gets: 101 when the socket was accepted. */
function upgradeStatus(gateway: Gateway, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}/ws`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': PROTOCOL,
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Whatever a client sends, it gets an error frame that says what was wrong and its socket lives on, except for
 * the documented closes; and nobody else notices.
 */
describe('bad input from a client', () => {
  const containers = new TestContainers();
  let gateway: Gateway | undefined;
  let bystander: TestClient | undefined;
  const clients: TestClient[] = [];
  let id = '';

  before(async () => {
    await ensureTestImage();
    id = await containers.run('target', ['sleep', '1d']);
    gateway = await bootGateway((c) => (c.limits = { ...c.limits, maxSubscriptions: MAX_SUBSCRIPTIONS }));
    await waitForListed(gateway, id);
    bystander = await TestClient.connect(gateway.url);
    bystander.send({ type: 'subscribe', topics: [topicOf(id)] });
    await bystander.waitForSamples(id, 1, 10_000);
  });

  after(async () => {
    await Promise.all([bystander, ...clients].filter((c) => c !== undefined).map((c) => c.close()));
    await gateway?.stop();
    await containers.removeAll();
  });

  async function connect(): Promise<TestClient> {
    const client = await TestClient.connect(gateway!.url);
    clients.push(client);
    await client.waitFor((m) => m.type === 'hello', 5000);
    return client;
  }

  test('malformed JSON → bad_json', async () => {
    const c = await connect();
    await expectError(c, '{"type": "subscribe", ', ErrorCode.badJson);
    await expectError(c, 'hello', ErrorCode.badJson);
  });

  test('JSON of the wrong shape → bad_message', async () => {
    const c = await connect();
    await expectError(c, [1, 2], ErrorCode.badMessage);
    await expectError(c, { topics: ['containers'] }, ErrorCode.badMessage);
    await expectError(c, { type: 'subscribe', topics: 'containers' }, ErrorCode.badMessage);
    await expectError(c, { type: 'subscribe', topics: [] }, ErrorCode.badMessage);
    await expectError(c, { type: 'subscribe', topics: [42] }, ErrorCode.badMessage);
  });

  test('unknown message type → unknown_type', async () => {
    const c = await connect();
    await expectError(c, { type: 'subscribeAll' }, ErrorCode.unknownType);
  });

  test('binary frame → binary_unsupported', async () => {
    const c = await connect();
    const since = c.mark();
    c.ws.send(Buffer.from(JSON.stringify({ type: 'ping' })), { binary: true });
    const e = await c.waitFor(isError, 5000, since);
    assert.equal(e.code, ErrorCode.binaryUnsupported);
    await c.roundTrip();
  });

  test('malformed topic → bad_topic, naming the topic', async () => {
    const c = await connect();
    for (const topic of ['stats:abc', `stats:${id.toUpperCase()}`, `stats:${id.slice(0, 12)}`, 'container', '']) {
      const e = await expectError(c, { type: 'subscribe', topics: [topic] }, ErrorCode.badTopic);
      assert.equal(e.topic, topic);
    }
    assert.equal(c.frames.filter((f) => f.msg.type === 'stats' || f.msg.type === 'history').length, 0);
  });

  test('unknown container id → not_found, naming the topic', async () => {
    const c = await connect();
    const topic = topicOf(randomBytes(32).toString('hex'));
    const e = await expectError(c, { type: 'subscribe', topics: [topic] }, ErrorCode.notFound);
    assert.equal(e.topic, topic);
  });

  test(`more than ${MAX_SUBSCRIPTIONS} subscriptions → too_many_subscriptions`, async () => {
    const c = await connect();
    c.send({ type: 'subscribe', topics: ['containers', topicOf(id)] });
    await c.waitForSamples(id, 1, 10_000);
    const extra = topicOf(randomBytes(32).toString('hex'));
    const e = await expectError(c, { type: 'subscribe', topics: [extra] }, ErrorCode.tooManySubscriptions);
    assert.equal(e.topic, extra);
    // The subscriptions it holds still deliver.
    await c.waitForSamples(id, 1, 10_000, c.mark());
  });

  test('a frame over 64 KiB → close 1009', async () => {
    const c = await connect();
    c.send({ type: 'subscribe', topics: ['x'.repeat(64 * 1024)] });
    const closed = await c.waitForClose(5000);
    assert.equal(closed.code, CloseCode.tooBig);
  });

  test('a message flood → rate_limited error, then close 4429', async () => {
    const c = await connect();
    const since = c.mark();
    for (let i = 0; i < 500; i++) c.send({ type: 'ping' });
    const closed = await c.waitForClose(10_000);
    assert.equal(closed.code, CloseCode.rateLimited);
    const after = c.frames.slice(since).map((f) => f.msg);
    const errors = after.filter(isError);
    assert.ok(errors.length >= 1, 'no error frame before the close');
    assert.equal(errors[0]!.code, ErrorCode.rateLimited);
    const pongs = after.filter((m) => m.type === 'pong').length;
    assert.ok(pongs >= 1 && pongs < 500, `${pongs} of 500 pings were answered`);
  });

  test('a sustained flood at five times the rate limit is closed with 4429 too', async () => {
    const c = await connect();
    const since = c.mark();
    const hello = c.frames.find((f) => f.msg.type === 'hello')?.msg;
    assert.ok(hello?.type === 'hello');
    const perSecond = hello.limits.messagesPerSecond * 5;
    // Ten bursts a second: no single burst is large; the flood is in the sustained rate.
    const timer = setInterval(() => {
      if (!c.isOpen) return;
      for (let i = 0; i < perSecond / 10; i++) c.send({ type: 'ping' });
    }, 100);
    const closed = await c.waitForClose(10_000).catch(() => undefined);
    clearInterval(timer);
    const errors = c.frames
      .slice(since)
      .map((f) => f.msg)
      .filter(isError);
    assert.ok(closed, `still open after 10 s at ${perSecond} messages a second, with ${errors.length} rate_limited errors sent`);
    assert.equal(closed.code, CloseCode.rateLimited);
    assert.equal(errors[0]?.code, ErrorCode.rateLimited);
  });

  test('an upgrade from a foreign Origin is refused with HTTP 403 and no socket', async () => {
    // Sockets closed by the tests above may still be closing on the server's side.
    const open = [bystander!, ...clients].filter((c) => c.isOpen).length;
    const sockets = await waitUntil(() => gateway!.transport.size === open && open, 5000, 'the server to count the open sockets');
    assert.equal(await upgradeStatus(gateway!, { Origin: 'https://evil.example' }), 403);
    await assert.rejects(TestClient.connect(gateway!.url, { origin: 'http://attacker.test' }), /HTTP 403/);
    assert.equal(gateway!.transport.size, sockets);
    // The gateway's own origin is welcome, so the refusal above is about the origin.
    assert.equal(await upgradeStatus(gateway!, { Origin: gateway!.url }), 101);
  });

  test('a client connected meanwhile kept receiving every sample, and no error', async () => {
    const b = bystander!;
    await b.waitForSamples(id, 1, 10_000, b.mark());
    const samples = b.samples(id);
    assert.ok(
      samples.every((s) => s.dropped === undefined),
      'the bystander had samples dropped',
    );
    for (let i = 1; i < samples.length; i++) {
      const gap = samples[i]!.t - samples[i - 1]!.t;
      assert.ok(gap > 0 && gap < 2000, `a gap of ${gap} ms between the bystander's samples: one is missing`);
    }
    assert.equal(b.frames.filter((f) => f.msg.type === 'error').length, 0);
    await b.roundTrip();
  });

  describe('with an access token', () => {
    const token = 'x'.repeat(32);
    let secured: Gateway | undefined;
    const tokenClients: TestClient[] = [];

    before(async () => {
      secured = await bootGateway((c) => (c.token = token));
    });

    after(async () => {
      await Promise.all(tokenClients.map((c) => c.close()));
      await secured?.stop();
    });

    async function open(options: Parameters<typeof TestClient.connect>[1]): Promise<TestClient> {
      const c = await TestClient.connect(secured!.url, options);
      tokenClients.push(c);
      return c;
    }

    test('no token, or a wrong one → close 4401 before any frame', async () => {
      for (const options of [{}, { headers: { Authorization: `Bearer ${'y'.repeat(32)}` } }]) {
        const c = await open(options);
        const closed = await c.waitForClose(5000);
        assert.equal(closed.code, CloseCode.unauthorized);
        assert.equal(c.frames.length, 0, 'an unauthorized socket got frames');
      }
    });

    test('Authorization: Bearer <token> is let in', async () => {
      const c = await open({ headers: { Authorization: `Bearer ${token}` } });
      await c.waitFor((m) => m.type === 'hello', 5000);
      await c.roundTrip();
    });

    test('the dockpulse.token.<base64url> subprotocol entry is let in, and dockpulse.v1 is selected', async () => {
      const entry = TOKEN_PROTOCOL_PREFIX + Buffer.from(token).toString('base64url');
      const c = await open({ protocols: [PROTOCOL, entry] });
      assert.equal(c.ws.protocol, PROTOCOL);
      await c.waitFor((m) => m.type === 'hello', 5000);
      await c.roundTrip();
    });

    test('/api/containers answers 401 without the bearer token, 200 with it', async () => {
      const without = await httpGet(secured!, '/api/containers');
      assert.equal(without.status, 401);
      assert.equal(without.headers.get('www-authenticate'), 'Bearer');
      assert.doesNotMatch(without.body, /"containers"/);
      const wrong = await httpGet(secured!, '/api/containers', { Authorization: `Bearer ${'y'.repeat(32)}` });
      assert.equal(wrong.status, 401);
      const withToken = await httpGet(secured!, '/api/containers', { Authorization: `Bearer ${token}` });
      assert.equal(withToken.status, 200);
      assert.ok(Array.isArray((JSON.parse(withToken.body) as { containers: unknown }).containers));
    });
  });
});
