/**
 * Frames of any content sent to a live gateway's socket (fast-check): each is answered with the `error` frame the
 * protocol's parser says it deserves, or ends the socket with a documented close code; everything the gateway
 * sends parses, and the gateway neither dies nor logs an error. The parser itself is fuzzed beside it
 * (`shared/src/protocol.property.test.ts`); this proves the socket around it holds too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { CloseCode, DEFAULT_LIMITS, ErrorCode, parseClientMessage, type ServerMessage } from '@dockpulse/shared';
import { TestClient } from '../test/helpers/ws-client.js';
import { waitUntil } from '../test/helpers/wait.js';
import { GatewayProcess, valueOf } from './helpers/gateway-process.js';
import { soakSettings } from './helpers/soak-settings.js';

const settings = soakSettings();

/**
 * Frames sent on one socket before the next: each case is two messages (the frame and a `ping`), and the rate
 * limit's burst is 40, so that no case is refused for the rate alone.
 */
const CASES_PER_SOCKET = 15;

const DOCUMENTED_CLOSE_CODES = new Set<number>(Object.values(CloseCode));

/** One case: a text frame (valid UTF-8), a text frame of any bytes, or a binary frame. */
type Frame = { kind: 'text'; text: string } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'binary'; bytes: Uint8Array };

const anyJson = fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null');
const messageLike = fc
  .record(
    {
      type: fc.oneof(fc.constantFrom('ping', 'subscribe', 'unsubscribe', 'range', 'x'), fc.jsonValue({ maxDepth: 1 })),
      topics: fc.oneof(
        fc.array(fc.oneof(fc.constantFrom('containers', 'alerts', 'stats:'), fc.string()), { maxLength: 4 }),
        fc.jsonValue(),
      ),
      history: fc.jsonValue({ maxDepth: 1 }),
      req: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}$/), fc.jsonValue({ maxDepth: 1 })),
      topic: fc.string(),
      from: fc.jsonValue({ maxDepth: 1 }),
      to: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: ['type'] },
  )
  .map((v) => JSON.stringify(v));

const frames: fc.Arbitrary<Frame> = fc.oneof(
  {
    weight: 60,
    arbitrary: fc
      .oneof(fc.string({ unit: 'binary', maxLength: 400 }), anyJson, messageLike)
      .map((text) => ({ kind: 'text', text }) as const),
  },
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 400 }).map((bytes) => ({ kind: 'bytes', bytes }) as const) },
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 400 }).map((bytes) => ({ kind: 'binary', bytes }) as const) },
  // Larger than a frame may be: the socket is closed with 1009.
  { weight: 1, arbitrary: fc.constant({ kind: 'text', text: 'x'.repeat(DEFAULT_LIMITS.maxPayloadBytes + 1) } as const) },
);

/**
 * What the gateway must answer a frame with: an error code, a close code, or (a `ping`) a `pong` of its own besides
 * the one the case waits for.
 */
function expected(frame: Frame): { error?: string; close?: number; pongs?: number } {
  switch (frame.kind) {
    case 'binary':
      return { error: ErrorCode.binaryUnsupported };
    case 'bytes': {
      const text = Buffer.from(frame.bytes).toString('utf8');
      // Bytes that are valid UTF-8 are an ordinary text frame; others close the socket.
      if (Buffer.from(text, 'utf8').equals(Buffer.from(frame.bytes))) return expected({ kind: 'text', text });
      return { close: CloseCode.invalidText };
    }
    case 'text': {
      if (Buffer.byteLength(frame.text) > DEFAULT_LIMITS.maxPayloadBytes) return { close: CloseCode.tooBig };
      const parsed = parseClientMessage(frame.text, DEFAULT_LIMITS.maxSubscriptions);
      if (!parsed.ok) return { error: parsed.error.code };
      return parsed.value.type === 'ping' ? { pongs: 2 } : {};
    }
  }
}

function show(frame: Frame): string {
  const text = frame.kind === 'text' ? JSON.stringify(frame.text) : Buffer.from(frame.bytes).toString('hex');
  return `${frame.kind} ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}

describe(`${settings.socketFuzzRuns} frames of any content sent to a live gateway's socket`, () => {
  let stateDir = '';
  let gateway: GatewayProcess | undefined;
  let client: TestClient | undefined;
  let sent = 0;
  const seenCloses = new Map<number, number>();

  before(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'dockpulse-fuzz-'));
    gateway = await GatewayProcess.start({ DOCKPULSE_STATE_DIR: stateDir, DOCKPULSE_RECORD: 'watched', DOCKPULSE_HOST_NAME: 'fuzz' });
  });

  after(async () => {
    await client?.close();
    await gateway?.stop();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  /** The socket for the next case: the same one, or a new one after a close or every CASES_PER_SOCKET cases. */
  async function socket(): Promise<TestClient> {
    if (client && client.isOpen && sent < CASES_PER_SOCKET) return client;
    await client?.close();
    client = await TestClient.connect(gateway!.url);
    await client.waitFor((m) => m.type === 'hello', 10_000);
    sent = 0;
    return client;
  }

  /** Sends one frame and a `ping` on the current socket, and checks what comes back. */
  async function exchange(frame: Frame): Promise<void> {
    const c = await socket();
    sent++;
    const since = c.mark();
    if (frame.kind === 'text') c.ws.send(frame.text);
    else c.ws.send(Buffer.from(frame.bytes), { binary: frame.kind === 'binary' });
    c.send({ type: 'ping' });
    const want = expected(frame);
    // The case ends with the pong of its own ping, the last of them when the frame was a ping too.
    const pongs = (): number => c.frames.slice(since).filter((f) => f.msg.type === 'pong').length;
    const outcome = await Promise.race([
      c.waitFor(() => pongs() >= (want.pongs ?? 1), 30_000, since).then(() => 'pong' as const),
      c.closed.then((closed) => closed.code),
    ]);
    assert.deepEqual(c.malformed, [], 'the gateway sent a frame the protocol does not allow');
    if (typeof outcome === 'number') {
      seenCloses.set(outcome, (seenCloses.get(outcome) ?? 0) + 1);
      assert.ok(DOCUMENTED_CLOSE_CODES.has(outcome), `closed with undocumented code ${outcome} after ${show(frame)}`);
      assert.equal(outcome, want.close, `closed with ${outcome} after ${show(frame)}`);
      return;
    }
    assert.equal(want.close, undefined, `not closed (want ${want.close}) after ${show(frame)}`);
    const answers = c.frames.slice(since).map((f) => f.msg);
    const errors = answers.filter((m): m is Extract<ServerMessage, { type: 'error' }> => m.type === 'error');
    if (want.error !== undefined) {
      assert.ok(
        errors.some((e) => e.code === want.error),
        `no error ${want.error} for ${show(frame)} (case ${sent} of its socket); got ${JSON.stringify(answers).slice(0, 300)}; ` +
          `before it: ${JSON.stringify(c.frames.slice(Math.max(0, since - 6), since).map((f) => f.raw.slice(0, 160)))}`,
      );
    }
    assert.ok(!errors.some((e) => e.code === ErrorCode.rateLimited), 'a case was refused for the rate alone');
  }

  test('every frame gets its error frame or a documented close, and the gateway carries on', async (t) => {
    await fc.assert(
      fc.asyncProperty(frames, async (frame) => {
        try {
          await exchange(frame);
        } catch (e) {
          // A case that failed may leave answers in flight: the next case (and fast-check's shrinking) gets a new socket.
          sent = CASES_PER_SOCKET;
          throw e;
        }
      }),
      {
        numRuns: settings.socketFuzzRuns,
        includeErrorInReport: true,
        ...(process.env['SOAK_SEED'] ? { seed: Number(process.env['SOAK_SEED']) } : {}),
      },
    );
    await client?.close();
    t.diagnostic(`closes seen: ${JSON.stringify(Object.fromEntries(seenCloses))}`);

    assert.ok(gateway!.running, `the gateway exited: ${gateway!.output.slice(-2000)}`);
    assert.deepEqual(gateway!.errors, [], 'the gateway logged errors');
    const probe = await TestClient.connect(gateway!.url);
    try {
      probe.send({ type: 'subscribe', topics: ['containers'] });
      await probe.waitFor((m) => m.type === 'containers', 10_000);
    } finally {
      await probe.close();
    }
    // Whatever the fuzz subscribed to was let go with its sockets.
    await waitUntil(
      async () => {
        const s = await gateway!.metrics();
        return valueOf(s, 'dockpulse_sockets') === 0 && valueOf(s, 'dockpulse_subscriptions') === 0;
      },
      10_000,
      'no socket and no subscription left',
    );
  });
});
