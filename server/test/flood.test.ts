import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { CloseCode } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { createLogger } from '../src/log.js';
import { bootGateway } from './helpers/gateway.js';
import { clientTextFrame, upgradeRequest } from './helpers/raw-http.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

/** Two-byte frames: 12 MiB of these made 1.27 million log lines when every one past the limit logged. */
const FLOOD_FRAMES = 128 * 1024;
/** Lines the gateway may log about one flooding client: its close, and what it logs about any client. */
const MAX_LINES = 5;

/** A raw WebSocket connection: the handshake done, then whatever the test writes, and the frames it is sent. */
async function rawSocket(url: string): Promise<{ socket: Socket; received: () => Buffer; ended: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(upgradeRequest(`${hostname}:${port}`, '/ws'));
  await waitUntil(() => Buffer.concat(chunks).includes('\r\n\r\n'), 5000, 'the upgrade to be answered');
  const head = Buffer.concat(chunks).toString('latin1');
  assert.match(head, /^HTTP\/1\.1 101 /);
  return { socket, received: () => Buffer.concat(chunks), ended };
}

/** The close code of the first close frame (opcode 8) in what the server sent after its handshake, if any. */
function closeCode(received: Buffer): number | undefined {
  let i = received.indexOf('\r\n\r\n') + 4;
  while (i + 2 <= received.length) {
    const opcode = received[i]! & 0x0f;
    let n = received[i + 1]! & 0x7f;
    let at = i + 2;
    if (n === 126) {
      n = received.readUInt16BE(at);
      at += 2;
    } else if (n === 127) {
      n = Number(received.readBigUInt64BE(at));
      at += 8;
    }
    if (opcode === 8) return n >= 2 ? received.readUInt16BE(at) : undefined;
    i = at + n;
  }
  return undefined;
}

/**
 * A client that floods the gateway after being rate-limited costs one log line and its connection: the gateway
 * ends it and reads nothing more of it.
 */
describe('a client that floods after the rate limit', () => {
  const lines: string[] = [];
  let gateway: Gateway | undefined;

  before(async () => {
    gateway = await bootGateway(
      () => {},
      undefined,
      createLogger('info', (line) => lines.push(line)),
    );
  });

  after(async () => {
    await gateway?.stop();
  });

  test('logs once, is sent 4429 and is disconnected, while a bystander is served', async (t) => {
    const bystander = await TestClient.connect(gateway!.url);
    const flooder = await rawSocket(gateway!.url);
    try {
      await waitUntil(() => gateway!.transport.size === 2, 5000, 'both sockets to be served');
      const before = lines.length;
      const started = Date.now();
      const frame = clientTextFrame('{}');
      flooder.socket.write(Buffer.concat(Array.from({ length: FLOOD_FRAMES }, () => frame)));
      // The gateway ends the connection; the client never closes its side.
      const closed = await Promise.race([flooder.ended.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
      const logged = lines.slice(before);
      t.diagnostic(`${FLOOD_FRAMES} frames sent: ${logged.length} lines logged, connection ended after ${Date.now() - started} ms`);
      assert.ok(closed, `the flooding socket is still open after 10 s; the gateway logged ${logged.length} lines meanwhile`);
      assert.ok(
        logged.length <= MAX_LINES,
        `${logged.length} lines logged about one flooding client; the first: ${logged.slice(0, 3).join('')}`,
      );
      assert.equal(logged.filter((l) => l.includes('closing client that ignores the rate limit')).length, 1, logged.join(''));
      assert.equal(closeCode(flooder.received()), CloseCode.rateLimited);
      await waitUntil(() => gateway!.transport.size === 1, 5000, 'the flooder to be forgotten');
      await bystander.roundTrip();
    } finally {
      flooder.socket.destroy();
      await bystander.close();
    }
  });
});
