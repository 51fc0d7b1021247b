import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import {
  CloseCode,
  PROTOCOL,
  TOKEN_PROTOCOL_PREFIX,
  statsTopic,
  type HelloMessage,
  type Scope,
  type ServerMessage,
} from '@dockpulse/shared';
import type { Config } from '../config.js';
import { createLogger } from '../log.js';
import { signShare } from '../auth/signed-token.js';
import { serveFake, type FakeGateway } from '../testing/fake-gateway.js';
import { FAKE_HOST, FakeSource, fakeContainer } from '../testing/fake-source.js';
import { TestClient, type ConnectOptions } from '../../test/helpers/ws-client.js';
import { postJson, raw } from '../../test/helpers/raw-http.js';
import { waitUntil } from '../../test/helpers/wait.js';

/** Bounds every wait, so that a failure fails rather than hangs; no claim about speed. */
const WAIT_MS = 5000;
const TOKEN = 'x'.repeat(32);
const OTHER_TOKEN = 'z'.repeat(32);
const FOREIGN = 'http://evil.example';

const isHello = (m: ServerMessage): m is HelloMessage => m.type === 'hello';
const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const bearer = (token: string): ConnectOptions => ({ headers: { Authorization: `Bearer ${token}` } });
const entry = (token: string): ConnectOptions => ({ protocols: [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(token)] });

/** How an upgrade ended: refused with an HTTP status, closed before any frame, or served (its hello's scope). */
type Outcome = { http: number } | { close: number } | { scope: Scope; protocol: string };

interface OutcomeOptions extends ConnectOptions {
  path?: string;
}

/** Opens a socket and reports how it ended; a served socket is closed at once. */
function outcome(g: FakeGateway, options: OutcomeOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${g.url.replace(/^http/, 'ws')}${options.path ?? '/ws'}`, options.protocols ?? [PROTOCOL], {
      headers: options.headers,
      origin: options.origin,
      perMessageDeflate: false,
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no frame, close or refusal'));
    }, WAIT_MS);
    const done = (o: Outcome): void => {
      clearTimeout(timer);
      resolve(o);
    };
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString('utf8')) as ServerMessage;
      done(msg.type === 'hello' ? { scope: msg.scope, protocol: ws.protocol } : { close: -1 });
      ws.terminate();
    });
    ws.on('close', (code) => done({ close: code }));
    ws.on('unexpected-response', (_req, res) => {
      done({ http: res.statusCode ?? 0 });
      ws.terminate();
    });
    // A failed handshake ends in `close` too.
    ws.on('error', () => {});
  });
}

/** `p`, or a failure naming `what` when it has not settled within the bound. */
async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A gateway over one container, `web`, and the clients a test opens on it; `done` closes them all. */
async function rig(tweak: (c: Config) => void = () => {}, log = createLogger('error', () => {})) {
  const web = fakeContainer('web');
  const g = await serveFake(new FakeSource({ containers: [web] }), tweak, log);
  const clients: TestClient[] = [];
  return {
    g,
    web,
    /** Opens a socket and waits for its `hello`. */
    async connect(options: ConnectOptions = {}): Promise<TestClient> {
      const c = await TestClient.connect(g.url, options);
      clients.push(c);
      await c.waitFor(isHello, WAIT_MS);
      return c;
    },
    /** A share token for `web`, `ttlMs` long. */
    async share(ttlMs = 60_000): Promise<{ id: string; token: string; expiresAt: number }> {
      const created = await g.shares.create(web, ttlMs, false);
      assert.ok(created !== 'full');
      return { id: created.share.id, token: created.token, expiresAt: created.share.expiresAt };
    },
    async done(): Promise<void> {
      await Promise.all(clients.map((c) => c.close()));
      await g.stop();
    },
  };
}

const ALL: Outcome = { scope: { kind: 'all' }, protocol: PROTOCOL };

test('upgrades for another path, for a foreign Host without a token, or from a foreign Origin are refused before any socket', async () => {
  const open = await rig((c) => {
    c.origins = ['https://ops.example'];
    c.publicUrl = 'https://dockpulse.example';
  });
  const locked = await rig((c) => (c.token = TOKEN));
  try {
    const port = new URL(open.g.url).port;
    const cases: [string, FakeGateway, OutcomeOptions, Outcome][] = [
      ['another path', open.g, { path: '/socket' }, { http: 404 }],
      ['the path with a trailing slash', open.g, { path: '/ws/' }, { http: 404 }],
      ['a foreign Host without a token', open.g, { headers: { Host: `rebind.example:${port}` } }, { http: 421 }],
      ['a foreign Origin', open.g, { origin: FOREIGN }, { http: 403 }],
      ['an opaque Origin', open.g, { origin: 'null' }, { http: 403 }],
      ['a look-alike Origin', open.g, { origin: `http://127.0.0.1:${port}.evil.example` }, { http: 403 }],
      ['a foreign Origin with the token', locked.g, { ...bearer(TOKEN), origin: FOREIGN }, { http: 403 }],
      ['no Origin (a program)', open.g, {}, ALL],
      ['the gateway’s own Origin', open.g, { origin: open.g.url }, ALL],
      ['a listed Origin', open.g, { origin: 'https://ops.example' }, ALL],
      ['the public URL’s Host', open.g, { headers: { Host: 'dockpulse.example' } }, ALL],
      ['a foreign Host with the token', locked.g, { headers: { Authorization: `Bearer ${TOKEN}`, Host: 'gw.example' } }, ALL],
    ];
    for (const [what, g, options, expected] of cases) {
      assert.deepEqual(await outcome(g, options), expected, what);
    }
    await waitUntil(() => open.g.transport.size + locked.g.transport.size === 0, WAIT_MS, 'the served sockets to be gone');
  } finally {
    await open.done();
    await locked.done();
  }
});

test('a client that offers no subprotocol, or ours among others, is served dockpulse.v1', async () => {
  const r = await rig();
  try {
    assert.deepEqual(await outcome(r.g, { protocols: [] }), { scope: { kind: 'all' }, protocol: '' });
    assert.deepEqual(await outcome(r.g, { protocols: ['dockpulse.v2', PROTOCOL] }), ALL);
  } finally {
    await r.done();
  }
});

test('a client that offers only other subprotocols is not served', async () => {
  const r = await rig();
  try {
    const o = await outcome(r.g, { protocols: ['dockpulse.v2'] });
    assert.ok('close' in o || 'http' in o, JSON.stringify(o));
    await waitUntil(() => r.g.transport.size === 0, WAIT_MS, 'no socket to be left open');
  } finally {
    await r.done();
  }
});

test('a client that offers only other subprotocols sees close 4400, as documented', async () => {
  const r = await rig();
  try {
    assert.deepEqual(await outcome(r.g, { protocols: ['dockpulse.v2'] }), { close: CloseCode.protocolViolation });
  } finally {
    await r.done();
  }
});

test('with an access token: no token or a wrong one closes with 4401 before any frame; the token or a session opens the socket', async () => {
  const r = await rig((c) => (c.token = TOKEN));
  try {
    const login = await postJson(r.g.url, '/api/session', { token: TOKEN }, { Origin: r.g.url });
    const cookie = login.headers['set-cookie']?.[0]?.split(';')[0];
    assert.ok(cookie, `no session cookie: ${login.status} ${login.body}`);
    const cases: [string, OutcomeOptions, Outcome][] = [
      ['no credentials', {}, { close: CloseCode.unauthorized }],
      ['a wrong bearer token', bearer(OTHER_TOKEN), { close: CloseCode.unauthorized }],
      ['a wrong subprotocol token', entry(OTHER_TOKEN), { close: CloseCode.unauthorized }],
      ['Basic credentials', { headers: { Authorization: `Basic ${b64(`admin:${TOKEN}`)}` } }, { close: CloseCode.unauthorized }],
      [
        'a forged session cookie',
        { headers: { Cookie: `dockpulse_session=99999999999999.${b64('forged')}` } },
        { close: CloseCode.unauthorized },
      ],
      ['the token in the query string', { path: `/ws?token=${TOKEN}&access_token=${TOKEN}` }, { close: CloseCode.unauthorized }],
      ['the bearer token', bearer(TOKEN), ALL],
      ['the subprotocol entry, never echoed', entry(TOKEN), ALL],
      ['the session cookie from the gateway’s page', { headers: { Cookie: cookie }, origin: r.g.url }, ALL],
    ];
    for (const [what, options, expected] of cases) {
      assert.deepEqual(await outcome(r.g, options), expected, what);
    }
  } finally {
    await r.done();
  }
});

test('a share token opens a socket scoped to its container; an expired or revoked one closes with 4410, a forged one 4401', async () => {
  for (const token of [undefined, TOKEN]) {
    const r = await rig((c) => (c.token = token));
    try {
      const what = token ? 'token gateway' : 'loopback gateway';
      const share = await r.share();
      const revoked = await r.share();
      assert.equal(await r.g.shares.revoke(revoked.id), 'revoked');
      const expired = signShare(r.g.secret, { sid: share.id, cid: r.web.id, follow: false, exp: Date.now() - 1000 });
      const [payload, signature] = share.token.split('.').slice(1) as [string, string];
      const forged = `dps1.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      const scope: Outcome = { scope: { kind: 'container', host: FAKE_HOST, id: r.web.id, name: 'web' }, protocol: PROTOCOL };
      for (const via of [bearer, entry]) {
        const cases: [string, string, Outcome][] = [
          ['a live share', share.token, scope],
          ['an expired share', expired, { close: CloseCode.tokenExpired }],
          ['a revoked share', revoked.token, { close: CloseCode.tokenExpired }],
          ['a forged share', forged, { close: CloseCode.unauthorized }],
        ];
        for (const [kind, t, expected] of cases) {
          assert.deepEqual(await outcome(r.g, via(t)), expected, `${what}, ${via.name}: ${kind}`);
        }
      }
    } finally {
      await r.done();
    }
  }
});

test('revoking a share (DELETE /api/shares/<id>) closes its live sockets with 4410; other shares and the operator stay connected', async () => {
  const r = await rig();
  try {
    const share = await r.share();
    const other = await r.share();
    const revoked = await r.connect(bearer(share.token));
    const alsoRevoked = await r.connect(entry(share.token));
    const kept = await r.connect(bearer(other.token));
    const admin = await r.connect();
    for (const c of [revoked, admin]) c.send({ type: 'subscribe', topics: [statsTopic(r.web.id)] });

    const res = await raw(r.g.url, 'DELETE', `/api/shares/${share.id}`, { headers: { Origin: r.g.url } });
    assert.equal(res.status, 204, res.body);
    for (const c of [revoked, alsoRevoked]) assert.equal((await c.waitForClose(WAIT_MS)).code, CloseCode.tokenExpired);
    for (const c of [kept, admin]) await c.roundTrip(WAIT_MS);
    assert.ok(kept.isOpen && admin.isOpen);
  } finally {
    await r.done();
  }
});

test('a live share socket is closed with 4410 once its share expires, not before', async () => {
  const r = await rig();
  try {
    const share = await r.share(1000);
    const c = await r.connect(bearer(share.token));
    const closed = await c.waitForClose(WAIT_MS);
    assert.equal(closed.code, CloseCode.tokenExpired);
    assert.ok(Date.now() >= share.expiresAt, 'closed before the share expired');
  } finally {
    await r.done();
  }
});

test('the heartbeat closes a peer that does not answer pings with 4408, and keeps one that does', async () => {
  const r = await rig((c) => (c.heartbeatMs = 100));
  let silent: WebSocket | undefined;
  try {
    const healthy = await r.connect();
    let pings = 0;
    healthy.ws.on('ping', () => pings++);

    const peer = new WebSocket(`${r.g.url.replace(/^http/, 'ws')}/ws`, [PROTOCOL], { autoPong: false });
    silent = peer;
    const silentClosed = new Promise<number>((resolve) => peer.on('close', (code) => resolve(code)));
    peer.on('error', () => {});
    await within(
      new Promise((resolve, reject) => {
        peer.once('open', resolve);
        peer.once('error', reject);
      }),
      'the silent peer to connect',
    );
    await waitUntil(() => r.g.transport.size === 2, WAIT_MS, 'both sockets to be counted');
    // A peer that still reads, but answers no ping, is told why (a peer that is gone hears nothing either way).
    assert.equal(await within(silentClosed, 'the silent peer to be dropped'), CloseCode.slowConsumer);
    await waitUntil(() => r.g.transport.size === 1, WAIT_MS, 'the silent peer to be forgotten');

    await waitUntil(() => pings >= 3, WAIT_MS, 'the healthy peer to be pinged a few times');
    await healthy.roundTrip(WAIT_MS);
    assert.ok(healthy.isOpen);
  } finally {
    silent?.terminate();
    await r.done();
  }
});

test('a frame larger than maxPayloadBytes closes the socket with 1009', async () => {
  const r = await rig((c) => (c.limits = { ...c.limits, maxPayloadBytes: 1024 }));
  try {
    const c = await r.connect();
    c.send({ type: 'subscribe', topics: ['x'.repeat(2048)] });
    assert.equal((await c.waitForClose(WAIT_MS)).code, CloseCode.tooBig);
  } finally {
    await r.done();
  }
});

test('a text frame that is not UTF-8 closes the socket with 1007', async () => {
  const r = await rig();
  try {
    const c = await r.connect();
    c.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await c.waitForClose(WAIT_MS)).code, CloseCode.invalidText);
  } finally {
    await r.done();
  }
});

test('a socket that goes away leaves nothing behind: no session, no subscription, no upstream', async () => {
  const r = await rig((c) => (c.graceMs = 10));
  try {
    const c = await r.connect();
    c.send({ type: 'subscribe', topics: ['containers', statsTopic(r.web.id)] });
    await c.waitFor((m) => m.type === 'state', WAIT_MS);
    assert.equal(r.g.transport.size, 1);
    assert.equal(r.g.hub.stats().subscriptions, 2);
    assert.ok(r.g.source.isWatched(r.web.id));

    await c.close();
    await waitUntil(() => r.g.transport.size === 0 && r.g.hub.stats().subscriptions === 0, WAIT_MS, 'the session to be released');
    await waitUntil(() => !r.g.source.isWatched(r.web.id), WAIT_MS, 'the upstream to be released after the grace period');
  } finally {
    await r.done();
  }
});

test('shutting down closes every socket with 1001', async () => {
  const r = await rig();
  try {
    const share = await r.share();
    const clients = [await r.connect(), await r.connect(bearer(share.token))];
    await r.g.stop();
    for (const c of clients) {
      const closed = await c.waitForClose(WAIT_MS);
      assert.equal(closed.code, CloseCode.goingAway);
    }
  } finally {
    await r.done();
  }
});

test('no token, session cookie or share token reaches the log', async () => {
  const lines: string[] = [];
  const r = await rig(
    (c) => (c.token = TOKEN),
    createLogger('debug', (line) => lines.push(line)),
  );
  try {
    const share = await r.share();
    const login = await postJson(r.g.url, '/api/session', { token: TOKEN }, { Origin: r.g.url });
    const cookie = login.headers['set-cookie']?.[0]?.split(';')[0] ?? '';
    const attempts: OutcomeOptions[] = [
      bearer(TOKEN),
      entry(TOKEN),
      bearer(OTHER_TOKEN),
      entry(OTHER_TOKEN),
      bearer(share.token),
      entry(share.token),
      { headers: { Cookie: cookie }, origin: r.g.url },
    ];
    for (const options of attempts) await outcome(r.g, options);
    await r.g.shares.revoke(share.id);
    await outcome(r.g, bearer(share.token));

    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    for (const expected of ['client connected', 'websocket refused']) assert.ok(messages.includes(expected), `the log has "${expected}"`);
    const secrets = [TOKEN, b64(TOKEN), OTHER_TOKEN, b64(OTHER_TOKEN), share.token, b64(share.token), cookie.split('=')[1]!];
    for (const line of lines) for (const secret of secrets) assert.ok(!line.includes(secret), `a log line carries a credential: ${line}`);
  } finally {
    await r.done();
  }
});
