import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { CloseCode, PROTOCOL, TOKEN_PROTOCOL_PREFIX, type HelloMessage, type ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import type { ShareInfo as ShareView } from '@dockpulse/shared';
import { createLogger } from '../src/log.js';
import { ensureTestImage } from './helpers/docker.js';
import { bootGateway, waitForListed } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';
import { LabelledContainers } from './helpers/labelled-containers.js';
import { errorCode, postJson, raw, rawUpgrade, type RawResponse } from './helpers/raw-http.js';
import { bootOnStateDir, tempStateDir, type TempStateDir } from './helpers/state-gateway.js';

const LABEL = 'dockpulse.test=shares';
const TOKEN = 'x'.repeat(32);
const OTHER_TOKEN = 'z'.repeat(32);
const FOREIGN = 'http://evil.example';
const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

const isHello = (m: ServerMessage): m is HelloMessage => m.type === 'hello';
const b64 = (s: string): string => Buffer.from(s).toString('base64url');

/** Logs in with `token` from the gateway's own origin; returns the response and the `name=value` cookie. */
async function login(
  g: Gateway,
  token: string,
  origin: string | undefined = g.url,
): Promise<{ res: RawResponse; cookie: string | undefined }> {
  const res = await postJson(g.url, '/api/session', { token }, origin === undefined ? {} : { Origin: origin });
  const setCookie = res.headers['set-cookie']?.[0];
  return { res, cookie: setCookie?.split(';')[0] };
}

/**
 * Opens a socket at `path` and reports how it ended: the close code, the HTTP status of a refused upgrade, or
 * `served` when the server sent a frame (a socket that was let in, which is then closed here).
 */
function socketOutcome(
  g: Gateway,
  path: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<{ close?: number; http?: number; served?: true; frames: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${g.url.replace(/^http/, 'ws')}${path}`, options.protocols ?? [PROTOCOL], {
      headers: options.headers,
      perMessageDeflate: false,
    });
    let frames = 0;
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`socket to ${path}: no frame, close or refusal within 5 s`));
    }, 5000);
    const done = (outcome: { close?: number; http?: number; served?: true; frames: number }): void => {
      clearTimeout(timer);
      resolve(outcome);
    };
    ws.on('message', () => {
      frames++;
      done({ served: true, frames });
      ws.terminate();
    });
    ws.on('close', (code) => done({ close: code, frames }));
    ws.on('unexpected-response', (_req, res) => {
      done({ http: res.statusCode ?? 0, frames });
      ws.terminate();
    });
    ws.on('error', (e) => {
      if (ws.readyState !== WebSocket.CLOSED) {
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}

describe('access token, sessions and origins', () => {
  const containers = new LabelledContainers(LABEL);
  const lines: string[] = [];
  let dir: TempStateDir | undefined;
  let g: Gateway | undefined;
  let c = '';
  const bearer = { Authorization: `Bearer ${TOKEN}` };

  before(async () => {
    await ensureTestImage();
    c = await containers.run('c');
    dir = await tempStateDir();
    g = await bootOnStateDir(
      dir.path,
      (config) => {
        config.token = TOKEN;
      },
      createLogger('debug', (line) => lines.push(line)),
    );
    await waitForListed(g, c);
  });

  after(async () => {
    await g?.stop();
    await dir?.remove();
    await containers.removeAll();
  });

  test('without the access token the API answers 401 and the socket closes with 4401; with it, both open', async () => {
    for (const path of ['/api/containers', '/api/shares', '/metrics']) {
      for (const headers of [{}, { Authorization: `Bearer ${OTHER_TOKEN}` }, { Authorization: `Basic ${b64(`admin:${TOKEN}`)}` }] as Record<
        string,
        string
      >[]) {
        const res = await raw(g!.url, 'GET', path, { headers });
        assert.equal(res.status, 401, `${path} ${JSON.stringify(headers)}: ${res.body}`);
        assert.equal(errorCode(res), 'unauthorized');
        assert.equal(res.headers['www-authenticate'], 'Bearer');
      }
    }
    // Tokens are never taken from the query string, where they would end up in logs and browser history.
    const query = await raw(g!.url, 'GET', `/api/containers?token=${TOKEN}&access_token=${TOKEN}`);
    assert.equal(query.status, 401);

    const refused: [string, string, { headers?: Record<string, string>; protocols?: string[] }][] = [
      ['no credentials', '/ws', {}],
      ['a wrong bearer token', '/ws', { headers: { Authorization: `Bearer ${OTHER_TOKEN}` } }],
      ['a wrong subprotocol token', '/ws', { protocols: [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(OTHER_TOKEN)] }],
      ['a forged session cookie', '/ws', { headers: { Cookie: `dockpulse_session=99999999999999.${b64('forged')}` } }],
      ['the token in the query string', `/ws?token=${TOKEN}&access_token=${TOKEN}`, {}],
    ];
    for (const [what, path, options] of refused) {
      assert.deepEqual(await socketOutcome(g!, path, options), { close: CloseCode.unauthorized, frames: 0 }, what);
    }

    const ok = await raw(g!.url, 'GET', '/api/containers', { headers: bearer });
    assert.equal(ok.status, 200);
    assert.ok(ok.body.includes(c));
    for (const options of [{ headers: bearer }, { protocols: [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(TOKEN)] }]) {
      const client = await TestClient.connect(g!.url, options);
      try {
        const hello = await client.waitFor(isHello, 5000);
        assert.deepEqual(hello.scope, { kind: 'all' });
        assert.equal(client.ws.protocol, PROTOCOL, 'the token entry is never echoed');
      } finally {
        await client.close();
      }
    }
  });

  test('a token entry in base64url with the padding Python and Java add is let in; a wrong one gets 4401', async () => {
    // 32 bytes: their base64url ends in one `=` when padded. ws answers 400 to an entry with `=` in it, unless the
    // gateway mends the header first.
    const padded = (token: string): string => `${TOKEN_PROTOCOL_PREFIX}${b64(token)}=`;
    for (const entry of [padded(TOKEN), `${TOKEN_PROTOCOL_PREFIX}${b64(TOKEN)}`]) {
      const upgrade = await rawUpgrade(g!.url, '/ws', `${PROTOCOL}, ${entry}`);
      assert.equal(upgrade.status, 101, entry);
      assert.equal(upgrade.protocol, PROTOCOL, `${entry}: the token entry is never echoed`);
      assert.deepEqual(upgrade.frame, { opcode: 1 }, `${entry}: hello, a text frame`);
    }
    const wrong = await rawUpgrade(g!.url, '/ws', `${PROTOCOL}, ${padded(OTHER_TOKEN)}`);
    assert.deepEqual([wrong.status, wrong.frame], [101, { opcode: 8, closeCode: CloseCode.unauthorized }]);
  });

  test('logging in sets an HttpOnly, SameSite=Strict cookie that opens the API and a same-origin socket, not a cross-site one', async () => {
    const before = await raw(g!.url, 'GET', '/api/session');
    assert.deepEqual(JSON.parse(before.body), { required: true, authenticated: false });

    const { res, cookie } = await login(g!, TOKEN);
    assert.equal(res.status, 200, res.body);
    const setCookie = res.headers['set-cookie']?.[0] ?? '';
    assert.match(setCookie, /^dockpulse_session=[^;]+;/);
    const attributes = setCookie.split(';').map((s) => s.trim().toLowerCase());
    assert.ok(attributes.includes('httponly'), setCookie);
    assert.ok(attributes.includes('samesite=strict'), setCookie);
    assert.ok(attributes.includes('path=/'), setCookie);
    assert.ok(!setCookie.includes(TOKEN), 'the cookie is not the access token');
    const withCookie = { Cookie: cookie! };

    const list = await raw(g!.url, 'GET', '/api/containers', { headers: withCookie });
    assert.equal(list.status, 200);
    assert.ok(list.body.includes(c));
    const session = await raw(g!.url, 'GET', '/api/session', { headers: withCookie });
    assert.deepEqual(JSON.parse(session.body), { required: true, authenticated: true });

    const sockets = g!.transport.size;
    const client = await TestClient.connect(g!.url, { headers: withCookie, origin: g!.url });
    try {
      const hello = await client.waitFor(isHello, 5000);
      assert.deepEqual(hello.scope, { kind: 'all' });
      client.send({ type: 'subscribe', topics: ['containers'] });
      await client.waitFor((m) => m.type === 'containers' && m.containers.some((x) => x.id === c), 5000);
    } finally {
      await client.close();
    }

    await waitUntil(() => g!.transport.size === sockets, 5000, 'the same-origin socket to be gone');
    // Cross-site WebSocket hijacking: another page's socket would carry this browser's cookie.
    const port = new URL(g!.url).port;
    for (const origin of [
      FOREIGN,
      `http://127.0.0.1:${Number(port) === 1 ? 2 : Number(port) - 1}`,
      `https://127.0.0.1:${port}.evil.example`,
      'null',
    ]) {
      assert.deepEqual(await socketOutcome(g!, '/ws', { headers: { ...withCookie, Origin: origin } }), { http: 403, frames: 0 }, origin);
    }
    assert.equal(g!.transport.size, sockets, 'no socket was opened for a foreign origin');
  });

  test('a session cookie alone cannot change anything from another origin, or with no origin (CSRF)', async () => {
    const { cookie } = await login(g!, TOKEN);
    assert.ok(cookie);
    const body = { container: c, ttlSeconds: 60 };
    const sharesNow = async (): Promise<ShareView[]> =>
      (JSON.parse((await raw(g!.url, 'GET', '/api/shares', { headers: bearer })).body) as { shares: ShareView[] }).shares;
    const count = (await sharesNow()).length;

    const cases: [string, Record<string, string>][] = [
      ['a foreign Origin', { Cookie: cookie, Origin: FOREIGN }],
      ['no Origin', { Cookie: cookie }],
    ];
    for (const [what, headers] of cases) {
      const res = await postJson(g!.url, '/api/shares', body, headers);
      assert.equal(res.status, 403, `POST /api/shares, cookie and ${what}: ${res.body}`);
      assert.equal(errorCode(res), 'forbidden_origin');
    }
    assert.equal((await sharesNow()).length, count, 'nothing was created');

    // The same cookie from the gateway's own page does work: the refusals above are about the origin.
    const own = await postJson(g!.url, '/api/shares', body, { Cookie: cookie, Origin: g!.url });
    assert.equal(own.status, 201, own.body);
    const share = JSON.parse(own.body) as ShareView;

    for (const headers of cases.map(([, h]) => h)) {
      const res = await raw(g!.url, 'DELETE', `/api/shares/${share.id}`, { headers });
      assert.equal(res.status, 403, `DELETE ${JSON.stringify(headers)}: ${res.body}`);
    }
    assert.ok(
      (await sharesNow()).some((s) => s.id === share.id),
      'the share was not revoked cross-site',
    );

    // A foreign page may not read the list of share tokens either: no CORS grant, whatever the cookie.
    const read = await raw(g!.url, 'GET', '/api/shares', { headers: { Cookie: cookie, Origin: FOREIGN } });
    assert.equal(read.headers['access-control-allow-origin'], undefined);
    assert.equal(read.headers['access-control-allow-credentials'], undefined);
    const preflight = await raw(g!.url, 'OPTIONS', '/api/shares', {
      headers: { Origin: FOREIGN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);

    // Nor log a browser in from another site (login CSRF).
    const foreignLogin = await login(g!, TOKEN, FOREIGN);
    assert.equal(foreignLogin.res.status, 403);
    assert.equal(foreignLogin.cookie, undefined);

    const del = await raw(g!.url, 'DELETE', `/api/shares/${share.id}`, { headers: { Cookie: cookie, Origin: g!.url } });
    assert.equal(del.status, 204);
  });

  test('a wrong token on POST /api/session is 401 and sets no cookie; DELETE /api/session clears the cookie', async () => {
    const wrong = await login(g!, OTHER_TOKEN);
    assert.equal(wrong.res.status, 401);
    assert.equal(errorCode(wrong.res), 'unauthorized');
    assert.equal(wrong.cookie, undefined);

    const { cookie } = await login(g!, TOKEN);
    const out = await raw(g!.url, 'DELETE', '/api/session', { headers: { Cookie: cookie!, Origin: g!.url } });
    assert.equal(out.status, 204);
    const cleared = out.headers['set-cookie']?.[0] ?? '';
    assert.match(cleared, /^dockpulse_session=;/, cleared);
    const attributes = cleared.split(';').map((s) => s.trim().toLowerCase());
    assert.ok(attributes.includes('max-age=0') && attributes.includes('path=/'), cleared);
    // The browser drops the cookie, and without it the operator is logged out.
    const after = await raw(g!.url, 'GET', '/api/session');
    assert.deepEqual(JSON.parse(after.body), { required: true, authenticated: false });
  });

  test('many wrong logins are answered 429, and the right token still logs in', async () => {
    // A gateway of its own, so that the limit does not spill over into the other tests.
    const fresh = await bootGateway((config) => {
      config.token = TOKEN;
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await login(fresh, `${OTHER_TOKEN}${i}`)).res.status);
      assert.ok(
        statuses.slice(0, 5).every((s) => s === 401),
        `the first attempts are plain refusals: ${statuses.join(' ')}`,
      );
      assert.equal(statuses.at(-1), 429, `a guessing run is throttled: ${statuses.join(' ')}`);
      // Behind a reverse proxy everyone shares the guesser's address: the operator is not locked out.
      const right = await login(fresh, TOKEN);
      assert.equal(right.res.status, 200, right.res.body);
      assert.ok(right.cookie);
    } finally {
      await fresh.stop();
    }
  });

  test('a session cookie issued under one access token is refused after a restart with another', async () => {
    const state = await tempStateDir();
    let gw: Gateway | undefined;
    try {
      gw = await bootOnStateDir(state.path, (config) => (config.token = TOKEN));
      const { cookie } = await login(gw, TOKEN);
      assert.equal((await raw(gw.url, 'GET', '/api/containers', { headers: { Cookie: cookie! } })).status, 200);
      await gw.stop();

      gw = await bootOnStateDir(state.path, (config) => (config.token = OTHER_TOKEN));
      const res = await raw(gw.url, 'GET', '/api/containers', { headers: { Cookie: cookie! } });
      assert.equal(res.status, 401, res.body);
      assert.deepEqual(await socketOutcome(gw, '/ws', { headers: { Cookie: cookie!, Origin: gw.url } }), {
        close: CloseCode.unauthorized,
        frames: 0,
      });
      const session = await raw(gw.url, 'GET', '/api/session', { headers: { Cookie: cookie! } });
      assert.deepEqual(JSON.parse(session.body), { required: true, authenticated: false });
      await gw.stop();

      // Back under the first token the same cookie works: the secret survived, only the token change ended it.
      gw = await bootOnStateDir(state.path, (config) => (config.token = TOKEN));
      assert.equal((await raw(gw.url, 'GET', '/api/containers', { headers: { Cookie: cookie! } })).status, 200);
    } finally {
      await gw?.stop();
      await state.remove();
    }
  });

  test('neither the access token, a session cookie nor a share token appears in the log', async () => {
    // A wrong token is someone's secret too (a typo of the right one, or another system's): never logged either.
    const secrets: string[] = [TOKEN, b64(TOKEN), OTHER_TOKEN];
    const { cookie } = await login(g!, TOKEN);
    await login(g!, OTHER_TOKEN);
    secrets.push(cookie!.split('=')[1]!);
    await raw(g!.url, 'GET', `/api/containers?token=${TOKEN}`);
    for (const options of [{ headers: bearer }, { protocols: [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(TOKEN)] }]) {
      const client = await TestClient.connect(g!.url, options);
      await client.waitFor(isHello, 5000);
      await client.close();
    }
    await socketOutcome(g!, '/ws', { headers: { Authorization: `Bearer ${OTHER_TOKEN}` } });

    const created = await postJson(g!.url, '/api/shares', { container: c, ttlSeconds: 60 }, bearer);
    assert.equal(created.status, 201);
    const share = JSON.parse(created.body) as ShareView;
    secrets.push(share.token, share.token.split('.')[2]!, b64(share.token));
    for (const options of [
      { headers: { Authorization: `Bearer ${share.token}` } },
      { protocols: [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(share.token)] },
    ]) {
      const client = await TestClient.connect(g!.url, options);
      await client.waitFor(isHello, 5000);
      await client.close();
    }
    await raw(g!.url, 'GET', `/s/${share.token}`);
    await raw(g!.url, 'GET', '/api/containers', { headers: { Authorization: `Bearer ${share.token}` } });
    assert.equal((await raw(g!.url, 'DELETE', `/api/shares/${share.id}`, { headers: bearer })).status, 204);
    await socketOutcome(g!, '/ws', { headers: { Authorization: `Bearer ${share.token}` } });

    // The capture works and saw the events above, so an empty log cannot pass for a clean one.
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    for (const expected of [
      'dockpulse listening',
      'login with a wrong token',
      'websocket refused',
      'share created',
      'share revoked',
      'client connected',
    ]) {
      assert.ok(messages.includes(expected), `the log has "${expected}"`);
    }
    for (const line of lines) {
      for (const secret of secrets) assert.ok(!line.includes(secret), `a log line carries a credential: ${line}`);
    }
  });

  test('a gateway without a token refuses to listen beyond loopback, and says to set DOCKPULSE_TOKEN', async () => {
    const state = await mkdtemp(join(tmpdir(), 'dockpulse-refuse-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, DOCKPULSE_STATE_DIR: join(state, 'state'), DOCKPULSE_PORT: '0' };
      delete env.DOCKPULSE_TOKEN;
      delete env.DOCKPULSE_HOST;
      for (const [what, args, extra] of [
        ['DOCKPULSE_HOST=0.0.0.0', [], { DOCKPULSE_HOST: '0.0.0.0' }],
        ['--host ::', ['--host', '::'], {}],
      ] as const) {
        const run = await runGateway([...args], { ...env, ...extra });
        assert.notEqual(run.code, 0, `${what}: exits with an error`);
        assert.match(run.stderr, /DOCKPULSE_TOKEN/, `${what}: ${run.stderr}`);
        assert.doesNotMatch(run.stdout + run.stderr, /dockpulse listening/, `${what}: never listened`);
        await assert.rejects(access(join(state, 'state')), `${what}: never got as far as its state directory`);
      }
      // The same command with a token does start, so the refusal above is about the missing token.
      const started = await runGateway([], { ...env, DOCKPULSE_HOST: '0.0.0.0', DOCKPULSE_TOKEN: TOKEN }, /dockpulse listening/);
      assert.match(started.stderr, /dockpulse listening/);
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  });

  test('DNS rebinding: a loopback gateway without a token answers only to a loopback Host', async () => {
    const open = await bootGateway();
    try {
      const port = new URL(open.url).port;
      // A page on rebind.example whose name now resolves to 127.0.0.1: same-origin as far as the browser knows.
      const rebound = { Host: `rebind.example:${port}`, Origin: `http://rebind.example:${port}` };
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
        assert.equal((await raw(open.url, 'GET', '/api/containers', { headers: { Host: host } })).status, 200, `${host} is served`);
      }
      const list = await raw(open.url, 'GET', '/api/containers', { headers: rebound });
      const create = await postJson(open.url, '/api/shares', { container: c, ttlSeconds: 60 }, rebound);
      const ws = await socketOutcome(open, '/ws', { headers: rebound });
      const outcome = {
        'GET /api/containers': list.status,
        'POST /api/shares': create.status,
        'GET /ws': ws.http ?? (ws.served ? 'socket served' : `closed ${ws.close}`),
      };
      const refused = (status: unknown): boolean => status === 403 || status === 421;
      assert.ok(Object.values(outcome).every(refused), `served to Host rebind.example: ${JSON.stringify(outcome)}`);
    } finally {
      await open.stop();
    }
  });
});

/**
 * Runs the gateway's command line (from source) and waits, with a bound, for it to exit; with `stopWhen`, stops
 * it (SIGTERM, by its own handle) once its output matches.
 */
function runGateway(
  args: string[],
  env: NodeJS.ProcessEnv,
  stopWhen?: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: SERVER_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (stopWhen?.test(stdout + stderr)) child.kill('SIGTERM');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the gateway did not exit within 20 s; it printed: ${stdout}${stderr}`));
    }, 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
