import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { CloseCode, PROTOCOL, TOKEN_PROTOCOL_PREFIX, type HelloMessage, type ServerMessage } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { AUTH_FAILURES } from '../src/limits/auth-failures.js';
import { createLogger } from '../src/log.js';
import { bootGateway } from './helpers/gateway.js';
import { TestClient } from './helpers/ws-client.js';

const TOKEN = 'r'.repeat(32);
const METRICS_TOKEN = 'm'.repeat(32);
const isHello = (m: ServerMessage): m is HelloMessage => m.type === 'hello';
const b64 = (s: string): string => Buffer.from(s).toString('base64url');

/** GETs `path` with `headers` over a kept-alive connection of `agent`; the status. */
function status(g: Gateway, agent: Agent, path: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(g.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** How a socket offering `protocols` ends: its close code, or `served` once it has its hello. */
async function socketOutcome(g: Gateway, protocols: string[]): Promise<number | 'served'> {
  const client = await TestClient.connect(g.url, { protocols });
  try {
    const closed = client.waitForClose(5000).then((c) => c.code);
    const served = client.waitFor(isHello, 5000).then(
      () => 'served' as const,
      () => closed,
    );
    return await Promise.race([served, closed]);
  } finally {
    await client.close();
  }
}

describe('failed authentication is limited on every path, without locking out a right token', () => {
  let g: Gateway | undefined;
  const lines: string[] = [];

  afterEach(async () => {
    await g?.stop();
    g = undefined;
  });

  test('2,000 wrong bearer tokens on GET /api/containers get 429 after the budget; the right token and the metrics token still work', async () => {
    g = await bootGateway((c) => {
      c.token = TOKEN;
      c.metricsToken = METRICS_TOKEN;
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 20 });
    try {
      const statuses = new Map<number, number>();
      const started = Date.now();
      for (let batch = 0; batch < 100; batch++) {
        const round = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            status(g!, agent, '/api/containers', {
              Authorization: `Bearer wrong-${batch}-${i}-${'w'.repeat(20)}`,
              // Never believed: a client cannot pick a fresh address for each guess.
              'X-Forwarded-For': `10.0.${batch}.${i}`,
            }),
          ),
        );
        for (const s of round) statuses.set(s, (statuses.get(s) ?? 0) + 1);
        if (batch === 50) {
          // Halfway through the flood, from the same address: the right credentials are let in.
          assert.equal(await status(g, agent, '/api/containers', { Authorization: `Bearer ${TOKEN}` }), 200, 'the access token');
          assert.equal(await status(g, agent, '/metrics', { Authorization: `Bearer ${METRICS_TOKEN}` }), 200, 'the metrics token');
          assert.equal(await socketOutcome(g, [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(TOKEN)]), 'served', 'the socket token');
        }
      }
      const elapsedMin = (Date.now() - started) / 60_000;
      const allowed = AUTH_FAILURES.burst + Math.ceil(AUTH_FAILURES.perMinute * elapsedMin);
      assert.deepEqual([...statuses.keys()].sort(), [401, 429], `only 401 and 429: ${JSON.stringify([...statuses])}`);
      assert.ok(statuses.get(401)! <= allowed, `${statuses.get(401)} answered 401; the budget is ${allowed}`);
      assert.equal(statuses.get(401)! + statuses.get(429)!, 2000);
      // A wrong metrics token is a wrong token like any other.
      assert.equal(await status(g, agent, '/metrics', { Authorization: `Bearer ${'n'.repeat(32)}` }), 429);
    } finally {
      agent.destroy();
    }
  });

  test('wrong socket tokens and tampered share tokens are limited too, with 4429 and no log line each; the right token still opens a socket', async () => {
    lines.length = 0;
    g = await bootGateway(
      (c) => (c.token = TOKEN),
      undefined,
      createLogger('debug', (line) => lines.push(line)),
    );
    const outcomes: (number | 'served')[] = [];
    for (let i = 0; i < AUTH_FAILURES.burst + 10; i++) {
      const token = i % 2 === 0 ? `wrong-${i}-${'w'.repeat(20)}` : `dps1.${b64('{"sid":"x"}')}.${b64(`forged-${i}`)}`;
      outcomes.push(await socketOutcome(g, [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(token)]));
    }
    assert.deepEqual(outcomes.slice(0, AUTH_FAILURES.burst), Array(AUTH_FAILURES.burst).fill(CloseCode.unauthorized));
    assert.deepEqual(outcomes.slice(AUTH_FAILURES.burst), Array(10).fill(CloseCode.rateLimited), 'past the budget');
    assert.equal(await socketOutcome(g, [PROTOCOL, TOKEN_PROTOCOL_PREFIX + b64(TOKEN)]), 'served');
    const refusals = lines.filter((l) => (JSON.parse(l) as { msg: string }).msg === 'websocket refused').length;
    assert.equal(refusals, AUTH_FAILURES.burst, 'one log line for each refusal within the budget, none past it');
  });
});
