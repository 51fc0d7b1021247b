import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { HttpErrorCode } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { bootGateway } from './helpers/gateway.js';
import { errorCode, raw, upgradeRequest } from './helpers/raw-http.js';
import { waitUntil } from './helpers/wait.js';

const TOKEN = 'connection-limits-token';

/** Opens `n` connections to `host:port` that send nothing, and resolves once all are connected. */
async function idle(host: string, port: number, n: number, from?: string): Promise<Socket[]> {
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ host, port, ...(from !== undefined ? { localAddress: from } : {}) }, () => resolve(s));
          s.on('error', reject);
        }),
    ),
  );
}

/** The status line and body an upgrade request gets on a connection of its own. */
function upgradeAnswer(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port) });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.write(upgradeRequest(`${hostname}:${port}`, '/ws'));
  });
}

/** A connections figure from the gateway's own /metrics. */
async function refusedTotal(gateway: Gateway, bound: string): Promise<number> {
  const body = (await raw(gateway.url, 'GET', '/metrics', { headers: { Authorization: `Bearer ${TOKEN}` } })).body;
  const m = new RegExp(`^dockpulse_connections_refused_total\\{bound="${bound}"\\} (\\d+)$`, 'm').exec(body);
  assert.ok(m, `no refused connections by ${bound} in /metrics`);
  return Number(m[1]);
}

/** An IPv4 address of this machine other than loopback, which a connection can come from and go to. */
function outsideAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

describe('limits on connections', () => {
  test('past the total, a request and an upgrade are answered 503 too_many_connections and closed', async () => {
    const gateway = await bootGateway((c) => {
      c.token = TOKEN;
      c.connections = { total: 6, perAddress: 0 };
    });
    const held: Socket[] = [];
    try {
      const port = Number(new URL(gateway.url).port);
      held.push(...(await idle('127.0.0.1', port, 6)));
      const res = await raw(gateway.url, 'GET', '/healthz');
      assert.equal(res.status, 503, res.body);
      assert.equal(errorCode(res), HttpErrorCode.tooManyConnections);
      assert.match(await upgradeAnswer(gateway.url), /^HTTP\/1\.1 503 [^]*"too_many_connections"/);
      // One let go of, and the next is served.
      held.pop()!.destroy();
      await waitUntil(async () => (await raw(gateway.url, 'GET', '/healthz')).status === 200, 5000, 'a freed slot to serve a request');
      held.pop()!.destroy();
      assert.ok((await refusedTotal(gateway, 'total')) >= 2);
    } finally {
      for (const s of held) s.destroy();
      await gateway.stop();
    }
  });

  test('past the bound of one address, its requests are refused while another address is served', async (t) => {
    const address = outsideAddress();
    if (address === undefined) return t.skip('this machine has no IPv4 address besides loopback to connect from');
    const gateway = await bootGateway((c) => {
      c.host = '0.0.0.0';
      c.token = TOKEN;
      c.connections = { total: 100, perAddress: 3 };
    });
    const held: Socket[] = [];
    try {
      const port = Number(new URL(gateway.url).port);
      const outside = `http://${address}:${port}`;
      held.push(...(await idle(address, port, 3, address)));
      const res = await raw(outside, 'GET', '/healthz');
      assert.equal(res.status, 503, res.body);
      assert.equal(errorCode(res), HttpErrorCode.tooManyConnections);
      assert.match(res.body, /this address/);
      // Loopback, where a reverse proxy on the same machine brings everyone from, is bound only by the total.
      assert.equal((await raw(gateway.url, 'GET', '/healthz')).status, 200);
      assert.ok((await refusedTotal(gateway, 'address')) >= 1);
    } finally {
      for (const s of held) s.destroy();
      await gateway.stop();
    }
  });
});
