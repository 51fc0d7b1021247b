import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import {
  HttpErrorCode,
  PROTOCOL,
  parseApiError,
  parseShareInfo,
  parseShareList,
  type ContainerSummary,
  type ShareInfo,
} from '@dockpulse/shared';
import { AUTH_FAILURES, AUTH_RETRY_AFTER_S } from '../limits/auth-failures.js';
import type { Config } from '../config.js';
import { serveFake, type FakeGateway } from '../testing/fake-gateway.js';
import { FAKE_HOST, FakeSource, fakeContainer } from '../testing/fake-source.js';
import { postJson, raw, type RawRequest, type RawResponse } from '../../test/helpers/raw-http.js';

const TOKEN = 'x'.repeat(32);
const OTHER_TOKEN = 'z'.repeat(32);
const FOREIGN = 'http://evil.example';
const LISTED = 'https://ops.example';
const BEARER = { Authorization: `Bearer ${TOKEN}` };
const JSON_TYPE = { 'Content-Type': 'application/json' };

/** Boots a gateway over `web` and `db` (tweaked by `tweak`), runs `fn` on it, and stops it whatever happens. */
async function withGateway(tweak: (c: Config) => void, fn: (g: FakeGateway) => Promise<void>): Promise<void> {
  const g = await serveFake(new FakeSource({ containers: [fakeContainer('web'), fakeContainer('db')] }), tweak);
  try {
    await fn(g);
  } finally {
    await g.stop();
  }
}

const noToken = (): void => {};
const withToken = (c: Config): void => {
  c.token = TOKEN;
};

/** The listed container named `name`. */
function container(g: FakeGateway, name: string): ContainerSummary {
  const c = g.hosts.all().find((x) => x.name === name);
  assert.ok(c, `no container ${name}`);
  return c;
}

/** Asserts an error answer: its status, and a JSON body that `parseApiError` reads, with `code`. */
function assertError(res: RawResponse, status: number, code: HttpErrorCode, what: string): void {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.body}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, what);
  const body = parseApiError(JSON.parse(res.body) as unknown);
  assert.ok(body, `${what}: not an API error: ${res.body}`);
  assert.equal(body.error, code, what);
  assert.ok(body.message.length > 0, `${what}: the error says what was wrong`);
}

/** `raw`, with a connection reset turned into an answer that fails the assertions naming it. */
function request(g: FakeGateway, method: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  return raw(g.url, method, path, options).catch((e: unknown): RawResponse => ({
    status: 0,
    headers: {},
    body: `no response: ${e instanceof Error ? e.message : String(e)}`,
  }));
}

/** Logs in; returns the answer and the `name=value` session cookie it set. */
async function login(g: FakeGateway, token: string, headers: Record<string, string> = { Origin: g.url }) {
  const res = await postJson(g.url, '/api/session', { token }, headers);
  return { res, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] };
}

/** The attributes of the first cookie an answer sets, lower-cased. */
function cookieAttributes(res: RawResponse): string[] {
  return (res.headers['set-cookie']?.[0] ?? '').split(';').map((s) => s.trim().toLowerCase());
}

async function createShare(g: FakeGateway, body: unknown, headers: Record<string, string> = {}): Promise<ShareInfo> {
  const res = await postJson(g.url, '/api/shares', body, { Origin: g.url, ...BEARER, ...headers });
  assert.equal(res.status, 201, `creating a share: ${res.body}`);
  const share = parseShareInfo(JSON.parse(res.body) as unknown);
  assert.ok(share, res.body);
  return share;
}

async function listShares(g: FakeGateway): Promise<ShareInfo[]> {
  const res = await request(g, 'GET', '/api/shares', { headers: BEARER });
  assert.equal(res.status, 200, res.body);
  const shares = parseShareList(JSON.parse(res.body) as unknown);
  assert.ok(shares, res.body);
  return shares;
}

/** Writes a built web app (index and one hashed asset) into the gateway's web root. */
async function buildWebApp(g: FakeGateway): Promise<void> {
  await mkdir(join(g.webRoot, 'assets'), { recursive: true });
  await writeFile(join(g.webRoot, 'index.html'), '<html>app</html>');
  await writeFile(join(g.webRoot, 'assets', 'app-1234.js'), 'console.log(1)');
}

test('every answer carries the security headers; only /embed/ and /s/ may be framed, by the listed ancestors', async () => {
  const variants: [ancestors: string[], framedBy: string][] = [
    [[], "'self'"],
    [['https://wiki.example', 'https://intranet.example'], 'https://wiki.example https://intranet.example'],
  ];
  for (const [ancestors, framedBy] of variants) {
    await withGateway(
      (c) => {
        c.token = TOKEN;
        c.origins = [LISTED];
        c.frameAncestors = ancestors;
      },
      async (g) => {
        await buildWebApp(g);
        const cases: [string, string, RawRequest, number][] = [
          ['GET', '/', {}, 200],
          ['GET', '/c/web', {}, 200],
          ['GET', '/assets/app-1234.js', {}, 200],
          ['GET', '/assets/app-old.js', {}, 404],
          ['POST', '/', {}, 405],
          ['GET', '/healthz', {}, 200],
          ['GET', '/api/session', {}, 200],
          ['GET', '/api/containers', {}, 401],
          ['GET', '/api/containers', { headers: BEARER }, 200],
          ['GET', '/api/nope', { headers: BEARER }, 404],
          ['GET', '/metrics', { headers: BEARER }, 200],
          ['POST', '/api/shares', { headers: { Origin: FOREIGN } }, 403],
          ['OPTIONS', '/api/shares', { headers: { Origin: LISTED, 'Access-Control-Request-Method': 'POST' } }, 204],
          ['GET', '/embed/web', {}, 200],
          ['GET', '/s/dps1.e30.c2ln', {}, 200],
        ];
        for (const [method, path, options, status] of cases) {
          const what = `${method} ${path} ${JSON.stringify(options.headers ?? {})}`;
          const res = await request(g, method, path, options);
          assert.equal(res.status, status, `${what}: ${res.body}`);
          assert.equal(res.headers['x-content-type-options'], 'nosniff', what);
          assert.equal(res.headers['referrer-policy'], 'no-referrer', what);
          const csp = String(res.headers['content-security-policy'] ?? '');
          assert.match(csp, /default-src 'self'/, what);
          const frameable = /^\/(embed|s)\//.test(path);
          assert.ok(csp.includes(`frame-ancestors ${frameable ? framedBy : "'none'"};`), `${what}: ${csp}`);
          assert.equal(res.headers['x-frame-options'], frameable ? undefined : 'DENY', what);
        }
      },
    );
  }
});

test('CORS: a listed origin is granted and its preflight answered; any other gets no grant', async () => {
  await withGateway(
    (c) => {
      c.token = TOKEN;
      c.origins = [LISTED];
    },
    async (g) => {
      const preflight = { 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' };
      const granted = await request(g, 'OPTIONS', '/api/shares', { headers: { Origin: LISTED, ...preflight } });
      assert.equal(granted.status, 204);
      assert.equal(granted.headers['access-control-allow-origin'], LISTED);
      assert.equal(granted.headers['access-control-allow-methods'], 'GET, POST, DELETE');
      assert.equal(granted.headers['access-control-allow-headers'], 'Authorization, Content-Type');
      assert.equal(granted.headers['vary'], 'Origin');
      assert.equal(granted.headers['access-control-allow-credentials'], undefined, 'cookies never cross sites');

      const read = await request(g, 'GET', '/api/containers', { headers: { Origin: LISTED, ...BEARER } });
      assert.equal(read.status, 200);
      assert.equal(read.headers['access-control-allow-origin'], LISTED);

      const refused = await request(g, 'OPTIONS', '/api/shares', { headers: { Origin: FOREIGN, ...preflight } });
      assertError(refused, 403, HttpErrorCode.forbiddenOrigin, 'a foreign preflight');
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
      const foreignRead = await request(g, 'GET', '/api/containers', { headers: { Origin: FOREIGN, ...BEARER } });
      assert.equal(foreignRead.headers['access-control-allow-origin'], undefined, 'a foreign page may not read the answer');
    },
  );
});

test('without a token only requests for a loopback Host or the public URL’s are answered (421 otherwise), /healthz too', async () => {
  await withGateway(
    (c) => (c.publicUrl = 'https://dockpulse.example'),
    async (g) => {
      const port = new URL(g.url).port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'dockpulse.example', 'DOCKPULSE.example']) {
        assert.equal((await request(g, 'GET', '/api/containers', { headers: { Host: host } })).status, 200, host);
      }
      const rebound = { Host: `rebind.example:${port}` };
      const cases: [string, string, RawRequest][] = [
        ['GET', '/', { headers: rebound }],
        ['GET', '/api/containers', { headers: rebound }],
        ['GET', '/api/session', { headers: rebound }],
        ['GET', '/metrics', { headers: rebound }],
        ['POST', '/api/shares', { headers: { ...rebound, ...JSON_TYPE }, body: '{}' }],
        ['GET', '/api/containers', { headers: { Host: `127.0.0.1.rebind.example:${port}` } }],
        // A page on another domain learns nothing, not even whether the engine answers.
        ['GET', '/healthz', { headers: rebound }],
      ];
      for (const [method, path, options] of cases) {
        assertError(await request(g, method, path, options), 421, HttpErrorCode.misdirected, `${method} ${path} ${options.headers?.Host}`);
      }
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'dockpulse.example']) {
        assert.equal((await request(g, 'GET', '/healthz', { headers: { Host: host } })).status, 200, `health checks by ${host}`);
      }
    },
  );
  await withGateway(withToken, async (g) => {
    const res = await request(g, 'GET', '/api/containers', { headers: { Host: 'gateway.example', ...BEARER } });
    assert.equal(res.status, 200, 'with a token, the Host is not what protects the gateway');
  });
});

test('CSRF: a change from a foreign Origin, or by the session cookie alone without one, is 403 forbidden_origin', async () => {
  await withGateway(
    (c) => {
      c.token = TOKEN;
      c.origins = [LISTED];
    },
    async (g) => {
      const { cookie } = await login(g, TOKEN);
      assert.ok(cookie);
      const kept = await createShare(g, { container: 'web', ttlSeconds: 60 });
      const body = JSON.stringify({ container: 'web', ttlSeconds: 60 });
      const refused: [string, Record<string, string>][] = [
        ['the cookie from a foreign Origin', { Cookie: cookie, Origin: FOREIGN }],
        ['the cookie with no Origin', { Cookie: cookie }],
        ['the cookie from an opaque Origin', { Cookie: cookie, Origin: 'null' }],
        ['the bearer token from a foreign Origin', { ...BEARER, Origin: FOREIGN }],
      ];
      for (const [what, headers] of refused) {
        const created = await request(g, 'POST', '/api/shares', { headers: { ...headers, ...JSON_TYPE }, body });
        assertError(created, 403, HttpErrorCode.forbiddenOrigin, `POST /api/shares, ${what}`);
        const revoked = await request(g, 'DELETE', `/api/shares/${kept.id}`, { headers });
        assertError(revoked, 403, HttpErrorCode.forbiddenOrigin, `DELETE /api/shares, ${what}`);
      }
      assert.deepEqual(
        (await listShares(g)).map((s) => s.id),
        [kept.id],
        'nothing was created or revoked',
      );

      const foreignLogin = await login(g, TOKEN, { Origin: FOREIGN });
      assertError(foreignLogin.res, 403, HttpErrorCode.forbiddenOrigin, 'a login from a foreign Origin');
      assert.equal(foreignLogin.cookie, undefined);
      const foreignLogout = await request(g, 'DELETE', '/api/session', { headers: { Cookie: cookie, Origin: FOREIGN } });
      assertError(foreignLogout, 403, HttpErrorCode.forbiddenOrigin, 'a logout from a foreign Origin');

      // The same cookie from the gateway's own page, a listed origin's bearer token and a program's do work.
      const allowed: [string, Record<string, string>][] = [
        ['the cookie from the gateway’s own page', { Cookie: cookie, Origin: g.url }],
        ['the bearer token from a listed origin', { ...BEARER, Origin: LISTED }],
        ['the bearer token with no Origin', BEARER],
      ];
      for (const [what, headers] of allowed) {
        const created = await request(g, 'POST', '/api/shares', { headers: { ...headers, ...JSON_TYPE }, body });
        assert.equal(created.status, 201, `${what}: ${created.body}`);
        const share = parseShareInfo(JSON.parse(created.body) as unknown);
        assert.equal((await request(g, 'DELETE', `/api/shares/${share?.id}`, { headers })).status, 204, what);
      }
    },
  );
  await withGateway(noToken, async (g) => {
    const res = await postJson(g.url, '/api/shares', { container: 'web', ttlSeconds: 60 }, { Origin: FOREIGN });
    assertError(res, 403, HttpErrorCode.forbiddenOrigin, 'a loopback gateway, a foreign Origin');
  });
});

/** The admin endpoints, each with a body that would change something if it were let through. */
function adminEndpoints(shareId: string): [method: string, path: string, body: string | undefined][] {
  return [
    ['GET', '/api/containers', undefined],
    ['GET', '/api/shares', undefined],
    ['POST', '/api/shares', JSON.stringify({ container: 'db', ttlSeconds: 60 })],
    ['DELETE', `/api/shares/${shareId}`, undefined],
    ['GET', '/api/nope', undefined],
    ['GET', '/metrics', undefined],
  ];
}

test('/api/* and /metrics: 401 with WWW-Authenticate: Bearer without valid credentials', async () => {
  await withGateway(withToken, async (g) => {
    const share = await createShare(g, { container: 'web', ttlSeconds: 60 });
    const credentials: [string, Record<string, string>, string?][] = [
      ['no credentials', {}],
      ['a wrong bearer token', { Authorization: `Bearer ${OTHER_TOKEN}` }],
      ['Basic credentials', { Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }],
      ['a forged session cookie', { Cookie: 'dockpulse_session=99999999999999.Zm9yZ2Vk' }],
      ['the token in the query string', {}, `?token=${TOKEN}&access_token=${TOKEN}`],
    ];
    for (const [method, path, body] of adminEndpoints(share.id)) {
      for (const [what, headers, query] of credentials) {
        const res = await request(g, method, path + (query ?? ''), { headers: { Origin: g.url, ...JSON_TYPE, ...headers }, body });
        assertError(res, 401, HttpErrorCode.unauthorized, `${method} ${path}, ${what}`);
        assert.equal(res.headers['www-authenticate'], 'Bearer', `${method} ${path}, ${what}`);
      }
    }
    assert.deepEqual(
      (await listShares(g)).map((s) => s.id),
      [share.id],
      'nothing was created or revoked',
    );
  });
});

test('/api/* and /metrics: 403 for a share token, which opens only its own live view', async () => {
  for (const [what, tweak] of [
    ['token gateway', withToken],
    ['loopback gateway', noToken],
  ] as const) {
    await withGateway(tweak, async (g) => {
      const created = await g.shares.create(container(g, 'web'), 60_000, false);
      assert.ok(created !== 'full');
      for (const [method, path, body] of adminEndpoints(created.share.id)) {
        const headers = { Origin: g.url, ...JSON_TYPE, Authorization: `Bearer ${created.token}` };
        const res = await request(g, method, path, { headers, body });
        assertError(res, 403, HttpErrorCode.forbidden, `${what}: ${method} ${path}`);
        assert.ok(!res.body.includes('dps1.') && !res.body.includes(container(g, 'db').id), `${method} ${path} leaks: ${res.body}`);
      }
      assert.deepEqual(
        g.shares.active().map((s) => s.id),
        [created.share.id],
        `${what}: a share token neither created nor revoked anything`,
      );
    });
  }
});

test('/api/session: whether to ask for the token, logging in with an HttpOnly SameSite=Strict cookie, and out', async () => {
  await withGateway(withToken, async (g) => {
    const anonymous = await request(g, 'GET', '/api/session');
    assert.equal(anonymous.status, 200);
    assert.deepEqual(JSON.parse(anonymous.body), { required: true, authenticated: false });

    const wrong = await login(g, OTHER_TOKEN);
    assertError(wrong.res, 401, HttpErrorCode.unauthorized, 'a wrong token');
    assert.equal(wrong.cookie, undefined);

    const { res, cookie } = await login(g, TOKEN);
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(JSON.parse(res.body), { required: true, authenticated: true });
    const attributes = cookieAttributes(res);
    for (const a of ['httponly', 'samesite=strict', 'path=/', 'max-age=604800'])
      assert.ok(attributes.includes(a), `${a}: ${attributes.join('; ')}`);
    assert.ok(!attributes.includes('secure'), 'a plain-HTTP gateway cannot set a Secure cookie');
    assert.ok(cookie && !cookie.includes(TOKEN), 'the cookie is not the access token');

    const session = await request(g, 'GET', '/api/session', { headers: { Cookie: cookie } });
    assert.deepEqual(JSON.parse(session.body), { required: true, authenticated: true });
    assert.equal((await request(g, 'GET', '/api/containers', { headers: { Cookie: cookie } })).status, 200);

    const out = await request(g, 'DELETE', '/api/session', { headers: { Cookie: cookie, Origin: g.url } });
    assert.equal(out.status, 204);
    const cleared = cookieAttributes(out);
    assert.equal(cleared[0], 'dockpulse_session=');
    assert.ok(cleared.includes('max-age=0'), cleared.join('; '));

    const put = await request(g, 'PUT', '/api/session');
    assertError(put, 405, HttpErrorCode.methodNotAllowed, 'PUT');
    assert.equal(put.headers['allow'], 'GET, POST, DELETE');
  });
});

test('/api/session: bad login bodies, and a share token, are refused', async () => {
  await withGateway(withToken, async (g) => {
    const cases: [string, RawRequest, number, HttpErrorCode][] = [
      [
        'text/plain',
        { headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ token: TOKEN }) },
        415,
        HttpErrorCode.unsupportedMediaType,
      ],
      ['not JSON', { headers: JSON_TYPE, body: '{"token":' }, 400, HttpErrorCode.badJson],
      ['a numeric token', { headers: JSON_TYPE, body: '{"token":1}' }, 400, HttpErrorCode.badRequest],
      ['an array', { headers: JSON_TYPE, body: '[]' }, 400, HttpErrorCode.badRequest],
      ['17 KiB', { headers: JSON_TYPE, body: JSON.stringify({ token: TOKEN, pad: 'p'.repeat(17 * 1024) }) }, 413, HttpErrorCode.tooLarge],
    ];
    for (const [what, options, status, code] of cases) {
      const res = await request(g, 'POST', '/api/session', options);
      assertError(res, status, code, what);
      assert.equal(res.headers['set-cookie'], undefined, what);
    }

    const share = await createShare(g, { container: 'web', ttlSeconds: 60 });
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await request(g, method, '/api/session', {
        headers: { Authorization: `Bearer ${share.token}`, Origin: g.url, ...JSON_TYPE },
        body: JSON.stringify({ token: TOKEN }),
      });
      assertError(res, 403, HttpErrorCode.forbidden, `${method} with a share token as bearer`);
    }
    const asLogin = await login(g, share.token);
    assertError(asLogin.res, 401, HttpErrorCode.unauthorized, 'a share token is not the access token');
    assert.equal(asLogin.cookie, undefined);
  });
});

test('/api/session: the cookie is Secure behind HTTPS, and a gateway without a token asks for none', async () => {
  await withGateway(
    (c) => {
      c.token = TOKEN;
      c.publicUrl = 'https://dockpulse.example';
    },
    async (g) => {
      assert.ok(cookieAttributes((await login(g, TOKEN)).res).includes('secure'), 'an https public URL');
    },
  );
  await withGateway(withToken, async (g) => {
    const { res } = await login(g, TOKEN, { Origin: g.url, 'X-Forwarded-Proto': 'https' });
    assert.ok(cookieAttributes(res).includes('secure'), 'behind a TLS proxy');
  });
  await withGateway(noToken, async (g) => {
    assert.deepEqual(JSON.parse((await request(g, 'GET', '/api/session')).body), { required: false, authenticated: true });
    const { res, cookie } = await login(g, 'anything');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { required: false, authenticated: true });
    assert.equal(cookie, undefined);
  });
});

test('/api/session: a run of wrong logins is answered 429 after the burst, and the right token still gets in', async () => {
  await withGateway(withToken, async (g) => {
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURES.burst; i++) statuses.push((await login(g, `${OTHER_TOKEN}${i}`)).res.status);
    assert.deepEqual(statuses, Array<number>(AUTH_FAILURES.burst).fill(401), 'the burst is answered');
    const throttled = (await login(g, OTHER_TOKEN)).res;
    assertError(throttled, 429, HttpErrorCode.rateLimited, 'a guess after the burst');
    assert.equal(throttled.headers['retry-after'], String(AUTH_RETRY_AFTER_S));
    // Behind a proxy, everyone has the guesser's address: the right token is not refused for its failures.
    const right = await login(g, TOKEN);
    assert.equal(right.res.status, 200, right.res.body);
    assert.ok(right.cookie, 'the right token still logs in');
  });
});

test('/api/containers lists the live containers', async () => {
  await withGateway(withToken, async (g) => {
    const list = async (): Promise<ContainerSummary[]> =>
      (JSON.parse((await request(g, 'GET', '/api/containers', { headers: BEARER })).body) as { containers: ContainerSummary[] }).containers;
    assert.deepEqual(await list(), [container(g, 'db'), container(g, 'web')], 'every container, sorted by name');
    const cache = g.source.add(fakeContainer('cache', { state: 'exited', status: 'Exited (0) 1 second ago' }));
    assert.deepEqual(await list(), [cache, container(g, 'db'), container(g, 'web')], 'stopped ones too');
    const post = await request(g, 'POST', '/api/containers', { headers: BEARER });
    assertError(post, 405, HttpErrorCode.methodNotAllowed, 'POST /api/containers');
    assert.equal(post.headers['allow'], 'GET');
  });
});

test('shares: created by id, id prefix or name (201), listed with the same token, revoked once (204, then 404)', async () => {
  await withGateway(withToken, async (g) => {
    const web = container(g, 'web');
    const before = Date.now();
    const byName = await createShare(g, { container: 'web', ttlSeconds: 60 });
    assert.match(byName.id, /^[A-Za-z0-9_-]+$/);
    assert.ok(byName.token.startsWith('dps1.'));
    assert.equal(byName.url, `${g.url}/s/${byName.token}`);
    assert.deepEqual(byName.container, { host: FAKE_HOST, id: web.id, name: 'web' });
    assert.equal(byName.follow, false);
    assert.equal(byName.expiresAt - byName.createdAt, 60_000);
    assert.ok(byName.createdAt >= before && byName.createdAt <= Date.now());

    for (const ref of [web.id, web.id.slice(0, 12), '/web']) {
      assert.deepEqual(
        (await createShare(g, { container: ref, ttlSeconds: 120 })).container,
        { host: FAKE_HOST, id: web.id, name: 'web' },
        ref,
      );
    }
    const following = await createShare(g, { container: 'web', ttlSeconds: 60, follow: 'name' });
    assert.equal(following.follow, true);
    const behindProxy = await createShare(g, { container: 'web', ttlSeconds: 60 }, { 'X-Forwarded-Proto': 'https' });
    assert.ok(behindProxy.url.startsWith(`https://${new URL(g.url).host}/s/`), behindProxy.url);
    // Without a public URL a link is built from the Host, and only from a host name and port: never another site's.
    for (const host of ['evil.example/#', 'evil.example?', 'good.example@evil.example']) {
      const post = await postJson(g.url, '/api/shares', { container: 'web', ttlSeconds: 60 }, { ...BEARER, Host: host });
      assertError(post, 400, HttpErrorCode.badRequest, `POST /api/shares with Host ${host}`);
      assertError(
        await request(g, 'GET', '/api/shares', { headers: { ...BEARER, Host: host } }),
        400,
        HttpErrorCode.badRequest,
        `GET with Host ${host}`,
      );
    }

    const listed = await listShares(g);
    assert.equal(listed.length, 6, 'no link was made for a bad Host');
    assert.deepEqual(
      listed.find((s) => s.id === byName.id),
      byName,
      'the list shows the same share, with the same token',
    );

    const first = await request(g, 'DELETE', `/api/shares/${byName.id}`, { headers: BEARER });
    assert.equal(first.status, 204);
    assert.ok(!(await listShares(g)).some((s) => s.id === byName.id), 'a revoked share is not listed');
    assertError(await request(g, 'DELETE', `/api/shares/${byName.id}`, { headers: BEARER }), 404, HttpErrorCode.notFound, 'again');
    assertError(await request(g, 'DELETE', '/api/shares/no-such-share', { headers: BEARER }), 404, HttpErrorCode.notFound, 'unknown');
    const get = await request(g, 'GET', `/api/shares/${following.id}`, { headers: BEARER });
    assertError(get, 405, HttpErrorCode.methodNotAllowed, 'GET one share');
    assert.equal(get.headers['allow'], 'DELETE');
    assertError(await request(g, 'PUT', '/api/shares', { headers: BEARER }), 405, HttpErrorCode.methodNotAllowed, 'PUT');
    assertError(await request(g, 'GET', '/api/shares/a.b', { headers: BEARER }), 404, HttpErrorCode.notFound, 'not a share id');
    assertError(await request(g, 'GET', '/api/nope', { headers: BEARER }), 404, HttpErrorCode.notFound, 'no such endpoint');
  });
  await withGateway(
    (c) => {
      c.token = TOKEN;
      c.publicUrl = 'https://dockpulse.example';
    },
    async (g) => {
      const share = await createShare(g, { container: 'web', ttlSeconds: 60 });
      assert.equal(share.url, `https://dockpulse.example/s/${share.token}`, 'links use the public URL');
    },
  );
});

test('shares: an unknown or ambiguous container is 404, and nothing is created', async () => {
  const shared = '0123456789ab';
  const twins = [fakeContainer('twin-1', { id: shared + 'c'.repeat(52) }), fakeContainer('twin-2', { id: shared + 'd'.repeat(52) })];
  const g = await serveFake(new FakeSource({ containers: [fakeContainer('web'), ...twins] }), withToken);
  try {
    const web = container(g, 'web');
    for (const ref of ['nope', web.id.slice(0, 11), 'f'.repeat(64), shared, web.name.toUpperCase()]) {
      const res = await postJson(g.url, '/api/shares', { container: ref, ttlSeconds: 60 }, BEARER);
      assertError(res, 404, HttpErrorCode.notFound, ref);
    }
    assert.equal((await listShares(g)).length, 0);
    // One more character tells the twins apart.
    assert.equal((await createShare(g, { container: `${shared}c`, ttlSeconds: 60 })).container.name, 'twin-1');
  } finally {
    await g.stop();
  }
});

test('shares: every bad body is refused with its status and code, and nothing is created', async () => {
  await withGateway(withToken, async (g) => {
    const json = { ...JSON_TYPE, ...BEARER };
    const valid = JSON.stringify({ container: 'web', ttlSeconds: 60 });
    const big = JSON.stringify({ container: 'web', ttlSeconds: 60, pad: 'p'.repeat(17 * 1024) });
    const cases: [string, Record<string, string>, string | string[], number, HttpErrorCode][] = [
      ['not JSON', json, '{"container":', 400, HttpErrorCode.badJson],
      ['text/plain', { ...BEARER, 'Content-Type': 'text/plain' }, valid, 415, HttpErrorCode.unsupportedMediaType],
      [
        'a form',
        { ...BEARER, 'Content-Type': 'application/x-www-form-urlencoded' },
        'container=web&ttlSeconds=60',
        415,
        HttpErrorCode.unsupportedMediaType,
      ],
      ['no content type', BEARER, valid, 415, HttpErrorCode.unsupportedMediaType],
      ['17 KiB, declared', json, big, 413, HttpErrorCode.tooLarge],
      ['17 KiB, chunked', json, big.match(/[\s\S]{1,4096}/g)!, 413, HttpErrorCode.tooLarge],
      ['an array', json, '[]', 400, HttpErrorCode.badRequest],
      ['null', json, 'null', 400, HttpErrorCode.badRequest],
      ['no container', json, JSON.stringify({ ttlSeconds: 60 }), 400, HttpErrorCode.badRequest],
      ['an empty container', json, JSON.stringify({ container: '', ttlSeconds: 60 }), 400, HttpErrorCode.badRequest],
      ['a numeric container', json, JSON.stringify({ container: 1, ttlSeconds: 60 }), 400, HttpErrorCode.badRequest],
      [
        'a container of 129 characters',
        json,
        JSON.stringify({ container: 'w'.repeat(129), ttlSeconds: 60 }),
        400,
        HttpErrorCode.badRequest,
      ],
      ['no ttl', json, JSON.stringify({ container: 'web' }), 400, HttpErrorCode.badRequest],
      ['a ttl under a minute', json, JSON.stringify({ container: 'web', ttlSeconds: 59 }), 400, HttpErrorCode.badRequest],
      ['a ttl over 30 days', json, JSON.stringify({ container: 'web', ttlSeconds: 30 * 24 * 3600 + 1 }), 400, HttpErrorCode.badRequest],
      ['a fractional ttl', json, JSON.stringify({ container: 'web', ttlSeconds: 60.5 }), 400, HttpErrorCode.badRequest],
      ['a ttl as a string', json, JSON.stringify({ container: 'web', ttlSeconds: '60' }), 400, HttpErrorCode.badRequest],
      ['follow other than "name"', json, JSON.stringify({ container: 'web', ttlSeconds: 60, follow: 'id' }), 400, HttpErrorCode.badRequest],
      ['follow as true', json, JSON.stringify({ container: 'web', ttlSeconds: 60, follow: true }), 400, HttpErrorCode.badRequest],
    ];
    for (const [what, headers, body, status, code] of cases) {
      assertError(await request(g, 'POST', '/api/shares', { headers, body }), status, code, what);
    }
    assert.equal((await listShares(g)).length, 0, 'no bad request created a share');
  });
});

test('/metrics: the gateway’s figures in the Prometheus text format', async () => {
  await withGateway(withToken, async (g) => {
    /** Each sample line's `name{labels}` and value; every family has its help and type before its samples. */
    const metrics = async (): Promise<Map<string, number>> => {
      const res = await request(g, 'GET', '/metrics', { headers: BEARER });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      const out = new Map<string, number>();
      const described = new Set<string>();
      for (const line of res.body.trimEnd().split('\n')) {
        const meta = /^# (HELP|TYPE) ([a-z_]+) (.+)$/.exec(line);
        if (meta) {
          if (meta[1] === 'TYPE') assert.match(meta[3]!, /^(gauge|counter)$/);
          described.add(meta[2]!);
          continue;
        }
        const m = /^([a-z_]+)(\{[^}]*\})? (-?[\d.e+-]+)$/.exec(line);
        assert.ok(m, `not a sample line: ${line}`);
        assert.ok(described.has(m[1]!), `${m[1]} has no help and type before it`);
        out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
      }
      return out;
    };
    const first = await metrics();
    for (const name of [
      'dockpulse_docker_up',
      'dockpulse_samples_published_total',
      'dockpulse_sockets',
      'dockpulse_subscriptions',
      'dockpulse_topics',
      'dockpulse_upstream_streams',
      'dockpulse_upstream_streams_opened_total',
      'dockpulse_host_up{host="fake"}',
    ]) {
      assert.ok(first.has(name), `no ${name} in ${[...first.keys()].join(', ')}`);
    }
    assert.equal(first.get('dockpulse_docker_up'), 1);
    assert.equal(first.get('dockpulse_sockets'), 0);

    const ws = new WebSocket(`${g.url.replace(/^http/, 'ws')}/ws`, [PROTOCOL], { headers: BEARER });
    try {
      await new Promise((resolve, reject) => {
        ws.once('message', resolve);
        ws.once('error', reject);
      });
      assert.equal((await metrics()).get('dockpulse_sockets'), 1);
    } finally {
      ws.terminate();
    }
    g.source.goDown();
    const down = await metrics();
    assert.equal(down.get('dockpulse_docker_up'), 0);
    assert.equal(down.get('dockpulse_host_up{host="fake"}'), 0);
    const post = await request(g, 'POST', '/metrics', { headers: BEARER });
    assertError(post, 405, HttpErrorCode.methodNotAllowed, 'POST /metrics');
  });
});

test('/metrics opens with the scrape token, which opens nothing else', async () => {
  const scrape = 's'.repeat(24);
  await withGateway(
    (c) => {
      withToken(c);
      c.metricsToken = scrape;
    },
    async (g) => {
      const auth = { Authorization: `Bearer ${scrape}` };
      assert.equal((await request(g, 'GET', '/metrics', { headers: auth })).status, 200);
      assert.equal((await request(g, 'GET', '/api/containers', { headers: auth })).status, 401);
      assert.equal((await request(g, 'GET', '/metrics', { headers: { Authorization: `Bearer ${'t'.repeat(24)}` } })).status, 401);
    },
  );
});

test('/healthz says whether the engine answers, without credentials', async () => {
  await withGateway(withToken, async (g) => {
    const health = async (): Promise<unknown> => JSON.parse((await request(g, 'GET', '/healthz')).body);
    assert.deepEqual(await health(), { status: 'ok', docker: 'up' });
    g.source.goDown();
    assert.deepEqual(await health(), { status: 'ok', docker: 'down' });
    assert.equal((await request(g, 'HEAD', '/healthz')).status, 200);
    assertError(await request(g, 'POST', '/healthz'), 405, HttpErrorCode.methodNotAllowed, 'POST /healthz');
  });
});

test('static files: the app for its routes, assets with their types, 404 for a missing asset, nothing outside the root', async () => {
  await withGateway(noToken, async (g) => {
    await buildWebApp(g);
    const secret = (await readFile(join(g.config.stateDir, 'secret'), 'utf8')).trim();
    for (const path of ['/', '/index.html', '/c/web', '/c/web.1', '/s/dps1.eyJzaWQiOiJ4In0.c2ln', '/embed/a.b', '/settings']) {
      const res = await request(g, 'GET', path);
      assert.equal(res.status, 200, path);
      assert.equal(res.body, '<html>app</html>', path);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', path);
      assert.equal(res.headers['cache-control'], 'no-cache', `${path}: a rebuilt app is picked up at once`);
    }
    const asset = await request(g, 'GET', '/assets/app-1234.js');
    assert.equal(asset.body, 'console.log(1)');
    assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');

    for (const path of ['/assets/app-old.js', '/favicon.ico']) {
      const res = await request(g, 'GET', path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, 'Not found\n', `${path}: not the app in its place`);
    }

    // The state directory, with the signing secret, is next to the web root here.
    for (const path of [
      '/../state/secret',
      '/..%2fstate%2fsecret',
      '/assets/../../state/secret',
      '/%2e%2e/state/secret',
      '/%2e%2e%2fstate%2fsecret',
      '/..%5cstate%5csecret',
      '/%2e%2e%5c%2e%2e%5cstate%5csecret',
    ]) {
      const res = await request(g, 'GET', path);
      assert.ok(res.status === 404 || res.body === '<html>app</html>', `${path}: ${res.status} ${res.body}`);
      assert.ok(!res.body.includes(secret), `${path} served the secret`);
    }

    const head = await request(g, 'HEAD', '/');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String('<html>app</html>'.length));
    assert.equal(head.body, '');
    const post = await request(g, 'POST', '/');
    assertError(post, 405, HttpErrorCode.methodNotAllowed, 'POST /');
    assert.equal(post.headers['allow'], 'GET, HEAD');
  });
});

test('static files: without a built app every page says how to build it', async () => {
  await withGateway(noToken, async (g) => {
    for (const path of ['/', '/c/web', '/assets/app.js']) {
      const res = await request(g, 'GET', path);
      assert.equal(res.status, 404, path);
      assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
      assert.match(res.body, /not built: run `pnpm build`/, path);
    }
  });
});
