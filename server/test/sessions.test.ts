import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { CloseCode, type HelloMessage, type ServerMessage, type ShareInfo } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { ensureTestImage } from './helpers/docker.js';
import { waitForListed } from './helpers/gateway.js';
import { LabelledContainers } from './helpers/labelled-containers.js';
import { errorCode, postJson, raw, type RawResponse } from './helpers/raw-http.js';
import { bootOnStateDir, tempStateDir, type TempStateDir } from './helpers/state-gateway.js';
import { TestClient } from './helpers/ws-client.js';

const LABEL = 'dockpulse.test=sessions';
const TOKEN = 's'.repeat(32);
const BEARER = { Authorization: `Bearer ${TOKEN}` };

const isHello = (m: ServerMessage): m is HelloMessage => m.type === 'hello';

/** Logs in from the gateway's own origin; returns the `name=value` cookie and the whole `Set-Cookie`. */
async function login(g: Gateway, headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string }> {
  const res = await postJson(g.url, '/api/session', { token: TOKEN }, { Origin: g.url, ...headers });
  assert.equal(res.status, 200, res.body);
  const setCookie = res.headers['set-cookie']?.[0] ?? '';
  return { cookie: setCookie.split(';')[0]!, setCookie };
}

function listWith(g: Gateway, cookie: string): Promise<RawResponse> {
  return raw(g.url, 'GET', '/api/containers', { headers: { Cookie: cookie } });
}

/** A dashboard socket opened with `cookie`, once it has its hello. */
async function socketWith(g: Gateway, cookie: string): Promise<TestClient> {
  const client = await TestClient.connect(g.url, { headers: { Cookie: cookie }, origin: g.url });
  await client.waitFor(isHello, 5000);
  return client;
}

/** How a socket opened with `cookie` ends: its close code, or `served` when it was let in. */
async function socketOutcome(g: Gateway, cookie: string): Promise<number | 'served'> {
  const client = await TestClient.connect(g.url, { headers: { Cookie: cookie }, origin: g.url });
  try {
    const closed = client.waitForClose(5000).then((c) => c.code);
    // A socket closed before its hello fails the wait for it: the close is the outcome then.
    const served = client.waitFor(isHello, 5000).then(
      () => 'served' as const,
      () => closed,
    );
    return await Promise.race([served, closed]);
  } finally {
    await client.close();
  }
}

describe('dashboard sessions', () => {
  const containers = new LabelledContainers(LABEL);
  let dir: TempStateDir | undefined;
  let g: Gateway | undefined;
  let c = '';

  before(async () => {
    await ensureTestImage();
    c = await containers.run('c');
    dir = await tempStateDir();
    g = await bootOnStateDir(dir.path, (config) => (config.token = TOKEN));
    await waitForListed(g, c);
  });

  after(async () => {
    await g?.stop();
    await dir?.remove();
    await containers.removeAll();
  });

  test('logging out ends that session: its cookie opens nothing more and its open socket is closed with 4410', async () => {
    const mine = await login(g!);
    const other = await login(g!);
    const mySocket = await socketWith(g!, mine.cookie);
    const otherSocket = await socketWith(g!, other.cookie);
    try {
      const out = await raw(g!.url, 'DELETE', '/api/session', { headers: { Cookie: mine.cookie, Origin: g!.url } });
      assert.equal(out.status, 204, out.body);
      const closed = await mySocket.waitForClose(5000);
      assert.deepEqual([closed.code, closed.reason], [CloseCode.tokenExpired, 'session ended']);

      // The cookie as it was, kept by someone who copied it before the logout.
      assert.equal((await listWith(g!, mine.cookie)).status, 401);
      assert.equal(await socketOutcome(g!, mine.cookie), CloseCode.tokenExpired);
      const session = await raw(g!.url, 'GET', '/api/session', { headers: { Cookie: mine.cookie } });
      assert.deepEqual(JSON.parse(session.body), { required: true, authenticated: false });

      // Another browser's session is another session.
      await otherSocket.roundTrip();
      assert.equal((await listWith(g!, other.cookie)).status, 200);
    } finally {
      await mySocket.close();
      await otherSocket.close();
    }
  });

  test('logging out everywhere ends every session and closes their sockets, and leaves share links and the token working', async () => {
    const a = await login(g!);
    const b = await login(g!);
    const created = await postJson(g!.url, '/api/shares', { container: c, ttlSeconds: 600 }, BEARER);
    assert.equal(created.status, 201, created.body);
    const share = JSON.parse(created.body) as ShareInfo;
    const sockets = [await socketWith(g!, a.cookie), await socketWith(g!, b.cookie)];
    const shareSocket = await TestClient.connect(g!.url, { headers: { Authorization: `Bearer ${share.token}` } });
    try {
      await shareSocket.waitFor(isHello, 5000);
      // Refused from another origin, or by cookie with none (CSRF), like every change.
      for (const headers of [{ Cookie: a.cookie, Origin: 'http://evil.example' }, { Cookie: a.cookie }] as Record<string, string>[]) {
        assert.equal((await raw(g!.url, 'DELETE', '/api/sessions', { headers })).status, 403);
      }
      assert.equal((await listWith(g!, b.cookie)).status, 200, 'the refusals ended nothing');

      const res = await raw(g!.url, 'DELETE', '/api/sessions', { headers: { Cookie: a.cookie, Origin: g!.url } });
      assert.equal(res.status, 204, res.body);
      for (const s of sockets) assert.equal((await s.waitForClose(5000)).code, CloseCode.tokenExpired);
      for (const { cookie } of [a, b]) assert.equal((await listWith(g!, cookie)).status, 401);

      await shareSocket.roundTrip();
      assert.ok(shareSocket.isOpen, 'the share socket stays open');
      const shares = await raw(g!.url, 'GET', '/api/shares', { headers: BEARER });
      assert.equal(shares.status, 200, 'the access token still opens the API');
      assert.ok(
        (JSON.parse(shares.body) as { shares: ShareInfo[] }).shares.some((s) => s.id === share.id),
        'the link is not revoked',
      );
      const again = await login(g!);
      assert.equal((await listWith(g!, again.cookie)).status, 200, 'a new login works');
    } finally {
      for (const s of [...sockets, shareSocket]) await s.close();
    }
  });

  test('a restart keeps the sessions still open and the ends of those logged out', async () => {
    const kept = await login(g!);
    const ended = await login(g!);
    assert.equal((await raw(g!.url, 'DELETE', '/api/session', { headers: { Cookie: ended.cookie, Origin: g!.url } })).status, 204);
    await g!.stop();
    g = await bootOnStateDir(dir!.path, (config) => (config.token = TOKEN));
    assert.equal((await listWith(g, kept.cookie)).status, 200, 'a session survives the restart');
    assert.equal((await listWith(g, ended.cookie)).status, 401, 'a logout survives the restart');

    assert.equal((await raw(g.url, 'DELETE', '/api/sessions', { headers: BEARER })).status, 204);
    await g.stop();
    g = await bootOnStateDir(dir!.path, (config) => (config.token = TOKEN));
    assert.equal((await listWith(g, kept.cookie)).status, 401, 'logging out everywhere survives the restart');
  });

  test('a logout that cannot be saved is in force at once, answered 503 not_saved, and kept once the state directory is back', async () => {
    const session = await login(g!);
    const socket = await socketWith(g!, session.cookie);
    // The state directory becomes unwritable: a file where it was (root ignores permission bits).
    const aside = `${dir!.path}.aside`;
    await rename(dir!.path, aside);
    await writeFile(dir!.path, 'not a directory');
    try {
      const out = await raw(g!.url, 'DELETE', '/api/session', { headers: { Cookie: session.cookie, Origin: g!.url } });
      assert.equal(out.status, 503, out.body);
      assert.equal(errorCode(out), 'not_saved');
      assert.equal((await socket.waitForClose(5000)).code, CloseCode.tokenExpired, 'the socket is closed before the save');
      assert.equal((await listWith(g!, session.cookie)).status, 401, 'the cookie is refused at once');
    } finally {
      await rm(dir!.path, { force: true });
      await rename(aside, dir!.path);
      await socket.close();
    }
    // Kept by the gateway's own retry (every 5 s): after that, a restart does not bring the session back.
    await new Promise((r) => setTimeout(r, 6000));
    await g!.stop();
    g = await bootOnStateDir(dir!.path, (config) => (config.token = TOKEN));
    assert.equal((await listWith(g, session.cookie)).status, 401, 'the logout was kept');
  });

  test('over HTTPS the cookie is __Host-dockpulse_session: Secure, Path=/, no Domain; it opens the API and logging out clears it', async () => {
    for (const [what, headers] of [
      ['a proxy that says X-Forwarded-Proto: https', { 'X-Forwarded-Proto': 'https' }],
      ['plain HTTP', {}],
    ] as const) {
      const { cookie, setCookie } = await login(g!, headers);
      const attributes = setCookie.split(';').map((s) => s.trim().toLowerCase());
      if (what === 'plain HTTP') {
        assert.match(setCookie, /^dockpulse_session=/, `${what}: ${setCookie}`);
        assert.ok(!attributes.includes('secure'), setCookie);
      } else {
        assert.match(setCookie, /^__Host-dockpulse_session=[^;]+;/, `${what}: ${setCookie}`);
        for (const a of ['secure', 'path=/', 'httponly', 'samesite=strict'])
          assert.ok(attributes.includes(a), `${what}: ${a} in ${setCookie}`);
        assert.ok(!attributes.some((a) => a.startsWith('domain=')), setCookie);
      }
      assert.equal((await listWith(g!, cookie)).status, 200, what);
      const out = await raw(g!.url, 'DELETE', '/api/session', { headers: { Cookie: cookie, Origin: g!.url, ...headers } });
      assert.equal(out.status, 204);
      assert.ok(
        out.headers['set-cookie']?.some((v) => v.startsWith(`${cookie.split('=')[0]}=;`)),
        `${what}: cleared`,
      );
      assert.equal((await listWith(g!, cookie)).status, 401, `${what}: ended`);
    }
    // A gateway whose public URL is https sets the prefixed cookie whatever the request says.
    const state = await tempStateDir();
    const secure = await bootOnStateDir(state.path, (config) => {
      config.token = TOKEN;
      config.publicUrl = 'https://dockpulse.example';
    });
    try {
      assert.match((await login(secure)).setCookie, /^__Host-dockpulse_session=.*; Secure/);
    } finally {
      await secure.stop();
      await state.remove();
    }
  });
});

test('a session ends at the end of its lifetime: its open socket is closed with 4410, and its cookie opens nothing more', async () => {
  const state = await tempStateDir();
  const g = await bootOnStateDir(state.path, (config) => {
    config.token = TOKEN;
    config.sessionTtlMs = 3000;
  });
  try {
    const { cookie, setCookie } = await login(g);
    const loggedIn = Date.now();
    assert.match(setCookie, /; Max-Age=3(;|$)/);
    const socket = await socketWith(g, cookie);
    try {
      const closed = await socket.waitForClose(8000);
      assert.deepEqual(closed, { code: CloseCode.tokenExpired, reason: 'session expired' });
      // Closed at the lifetime's end, not before (nor by the 30 s heartbeat).
      const at = Date.now() - loggedIn;
      assert.ok(at >= 3000 && at < 6000, `closed ${at} ms after the login`);
    } finally {
      await socket.close();
    }
    assert.equal((await listWith(g, cookie)).status, 401);
    const again = await TestClient.connect(g.url, { headers: { Cookie: cookie }, origin: g.url });
    try {
      assert.deepEqual(await again.waitForClose(5000), { code: CloseCode.tokenExpired, reason: 'session expired' });
    } finally {
      await again.close();
    }
  } finally {
    await g.stop();
    await state.remove();
  }
});
