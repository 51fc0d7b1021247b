import { after, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { GatewayProcess } from './helpers/gateway-process.js';
import { postJson, raw, upgradeRequest } from './helpers/raw-http.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const TOKEN = 'refused-connections-token';
/** The gateway's descriptor limit: what 400 held sockets took all of before refusals were closed by the gateway. */
const MAX_FILES = 256;
const SOCKETS = 400;
/** Sockets opened at once; the next batch waits for this one's answers. */
const BATCH = 40;
/** Descriptors the gateway may hold above its baseline once it has let go of the refused ones. */
const SLACK = 10;

/** A socket that sent one request and never closes its side, with the first bytes it was answered. */
interface Held {
  socket: Socket;
  answer: Promise<string>;
}

/** Sends `request` on a new connection, keeps the connection open whatever happens, and notes the answer's start. */
function hold(url: string, request: (host: string) => string): Held {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), allowHalfOpen: true });
  socket.on('error', () => {});
  const answer = new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('(no answer)'), 5000);
    socket.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.toString('latin1').split('\r\n')[0] ?? '');
    });
    socket.once('close', () => resolve('(closed)'));
  });
  socket.write(request(`${hostname}:${port}`));
  return { socket, answer };
}

function upgrade(path: string, headers: Record<string, string> = {}): (host: string) => string {
  return (host) => upgradeRequest(host, path, headers);
}

/**
 * Opens `SOCKETS` connections whose upgrades the gateway refuses, in batches, cycling through `requests`, and
 * returns them still open (the client never closes its side), with the answers they got.
 */
async function holdRefused(url: string, requests: ((host: string) => string)[]): Promise<{ held: Held[]; answers: string[] }> {
  const held: Held[] = [];
  const answers: string[] = [];
  for (let i = 0; i < SOCKETS; i += BATCH) {
    const batch = Array.from({ length: BATCH }, (_, j) => hold(url, requests[(i + j) % requests.length]!));
    held.push(...batch);
    answers.push(...(await Promise.all(batch.map((h) => h.answer))));
  }
  return { held, answers };
}

/** Counts each distinct answer, for a message that shows what the gateway said. */
function tally(answers: string[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) counts.set(a, (counts.get(a) ?? 0) + 1);
  return JSON.stringify(Object.fromEntries(counts));
}

/**
 * A refused upgrade is answered and closed by the gateway: a client that never closes its side does not keep
 * the descriptor, so that refusals by the hundred cannot take the descriptors that everyone else needs.
 */
describe('refused connections hold no descriptor', () => {
  const gateways: GatewayProcess[] = [];
  const sockets: Socket[] = [];

  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(gateways.map((g) => g.stop()));
  });

  async function start(env: Record<string, string>): Promise<{ gateway: GatewayProcess; baseline: number }> {
    const gateway = await GatewayProcess.start({ env, maxFiles: MAX_FILES });
    gateways.push(gateway);
    // Settled: the container list read and the listening socket open.
    assert.equal((await raw(gateway.url, 'GET', '/healthz')).status, 200);
    return { gateway, baseline: await gateway.openFiles() };
  }

  async function assertLetGo(gateway: GatewayProcess, baseline: number, answers: string[], t: TestContext): Promise<void> {
    let open = 0;
    try {
      await waitUntil(async () => (open = await gateway.openFiles()) <= baseline + SLACK, 10_000, 'the refused sockets to be closed');
      t.diagnostic(`${SOCKETS} refused sockets held open by the client: the gateway holds ${open} descriptors (${baseline} before)`);
    } catch {
      assert.fail(
        `the gateway holds ${open} descriptors (${baseline} before), with ${SOCKETS} refused sockets open; answers: ${tally(answers)}`,
      );
    }
  }

  test('without a token: wrong path, foreign Origin and a non-loopback Host are refused and closed; the gateway serves on', async (t) => {
    const { gateway, baseline } = await start({});
    const { held, answers } = await holdRefused(gateway.url, [
      upgrade('/nope'),
      upgrade('/ws', { Origin: 'https://evil.example' }),
      upgrade('/ws', { Host: 'rebound.example' }),
    ]);
    sockets.push(...held.map((h) => h.socket));
    await assertLetGo(gateway, baseline, answers, t);
    assert.ok(
      answers.every((a) => /^HTTP\/1\.1 (404|403|421) /.test(a)),
      `every refused upgrade is answered with its status: ${tally(answers)}`,
    );
    // With the refused sockets still open on the client's side, everything else works.
    assert.equal((await raw(gateway.url, 'GET', '/healthz')).status, 200);
    const client = await TestClient.connect(gateway.url);
    try {
      await client.waitFor((m) => m.type === 'hello', 5000);
    } finally {
      await client.close();
    }
  });

  test('with a token: refused upgrades and sockets closed with 4401 are let go of; /healthz and a login work', async (t) => {
    const { gateway, baseline } = await start({ DOCKPULSE_TOKEN: TOKEN });
    const { held, answers } = await holdRefused(gateway.url, [
      upgrade('/nope'),
      upgrade('/ws', { Origin: 'https://evil.example' }),
      upgrade('/ws', { Authorization: 'Bearer not-the-token-at-all' }),
    ]);
    sockets.push(...held.map((h) => h.socket));
    await assertLetGo(gateway, baseline, answers, t);
    assert.ok(
      answers.every((a) => /^HTTP\/1\.1 (404|403|101) /.test(a)),
      `every upgrade is answered (101 then close 4401 for the wrong token): ${tally(answers)}`,
    );
    assert.equal((await raw(gateway.url, 'GET', '/healthz')).status, 200);
    const login = await postJson(gateway.url, '/api/session', { token: TOKEN });
    assert.equal(login.status, 200, login.body);
  });
});
