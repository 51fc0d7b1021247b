import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AlertNotice } from '@dockpulse/shared';
import { deliver, notifyRequest, type DeliveryOptions } from './delivery.js';
import { Notifier } from './notifier.js';
import { createLogger } from '../log.js';

const NOTICE: AlertNotice = {
  rule: { id: 'r1', name: 'busy ☕' },
  state: 'firing',
  container: { host: 'h1', id: 'a'.repeat(64), name: 'web-1' },
  metric: 'cpu',
  op: '>',
  value: 97.5,
  threshold: 80,
  time: 1_795_789_476_787,
};

const FAST: DeliveryOptions = { attempts: 4, timeoutMs: 500, backoff: { baseMs: 20, capMs: 80 } };

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

/** A local receiver that answers each request with the next status of `statuses` (the last one repeats). */
async function receiver(
  statuses: number[],
  hold = false,
): Promise<{ url: string; got: Received[]; server: Server; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (hold) return;
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      res.writeHead(status, status === 302 ? { Location: 'file:///etc/passwd' } : {});
      res.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook?secret=s`,
    got,
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

test('a webhook that fails twice then accepts gets the notice on the third attempt, after growing pauses', async () => {
  const r = await receiver([500, 503, 204]);
  try {
    const outcome = await deliver({ type: 'webhook', url: r.url }, NOTICE, FAST, new AbortController().signal);
    assert.deepEqual({ ...outcome, at: 0 }, { type: 'webhook', target: new URL(r.url).origin, ok: true, attempts: 3, at: 0 });
    assert.equal(r.got.length, 3);
    assert.deepEqual(JSON.parse(r.got[2]!.body), NOTICE);
    assert.equal(r.got[2]!.headers['content-type'], 'application/json');
    const pauses = [r.got[1]!.at - r.got[0]!.at, r.got[2]!.at - r.got[1]!.at];
    assert.ok(pauses[0]! >= 10 && pauses[1]! >= 20, `pauses ${pauses.join(', ')} ms: at least half of 20 and of 40`);
  } finally {
    await r.close();
  }
});

test('a target that keeps failing is tried a bounded number of times, and the outcome says why', async () => {
  const r = await receiver([500]);
  try {
    const outcome = await deliver({ type: 'slack', url: r.url }, NOTICE, FAST, new AbortController().signal);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.attempts, 4);
    assert.equal(outcome.error, 'HTTP 500');
    assert.equal(outcome.target, new URL(r.url).origin, 'the path, which may hold a secret, is not shown');
    assert.equal(r.got.length, 4);
  } finally {
    await r.close();
  }
});

test('a redirect is not followed', async () => {
  const r = await receiver([302]);
  try {
    const outcome = await deliver({ type: 'webhook', url: r.url }, NOTICE, { ...FAST, attempts: 1 }, new AbortController().signal);
    assert.equal(outcome.ok, false);
    assert.match(outcome.error ?? '', /HTTP 302: redirects are not followed/);
  } finally {
    await r.close();
  }
});

test('an attempt that gets no answer times out', async () => {
  const r = await receiver([200], true);
  try {
    const outcome = await deliver(
      { type: 'webhook', url: r.url },
      NOTICE,
      { ...FAST, attempts: 2, timeoutMs: 100 },
      new AbortController().signal,
    );
    assert.equal(outcome.ok, false);
    assert.equal(outcome.attempts, 2);
    assert.equal(outcome.error, 'no answer within 100 ms');
  } finally {
    await r.close();
  }
});

test('ntfy gets text with a title, a priority and tags; slack gets {"text"}', async () => {
  const r = await receiver([200]);
  try {
    await deliver({ type: 'ntfy', url: r.url }, NOTICE, FAST, new AbortController().signal);
    await deliver({ type: 'slack', url: r.url }, { ...NOTICE, state: 'resolved', value: 12 }, FAST, new AbortController().signal);
    const [ntfy, slack] = r.got;
    assert.equal(ntfy!.body, 'web-1 on h1: cpu 97.5 > 80');
    assert.equal(ntfy!.headers['priority'], 'high');
    assert.equal(ntfy!.headers['tags'], 'rotating_light');
    assert.equal(
      Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(ntfy!.headers['title'] as string)![1]!, 'base64').toString(),
      '[FIRING] busy ☕',
    );
    assert.deepEqual(JSON.parse(slack!.body), { text: '[RESOLVED] busy ☕: web-1 on h1: cpu 12, resolved' });
    assert.equal(notifyRequest('ntfy', { ...NOTICE, rule: { id: 'r', name: 'plain' } }).headers['Title'], '[FIRING] plain');
  } finally {
    await r.close();
  }
});

test('a user name and password in the URL are sent as Basic authorization, not in the URL', async () => {
  const r = await receiver([200]);
  try {
    const url = r.url.replace('http://', 'http://ops:s%40cret@');
    const outcome = await deliver({ type: 'ntfy', url }, NOTICE, FAST, new AbortController().signal);
    assert.equal(outcome.ok, true, outcome.error);
    assert.equal(outcome.target, new URL(r.url).origin, 'the credentials are not shown');
    assert.equal(r.got[0]!.headers['authorization'], `Basic ${Buffer.from('ops:s@cret').toString('base64')}`);
  } finally {
    await r.close();
  }
});

test('the notifier logs a failed delivery once, not once per attempt', async () => {
  const r = await receiver([500]);
  const lines: string[] = [];
  const notifier = new Notifier({ delivery: FAST, concurrency: 2, maxQueued: 10, log: createLogger('debug', (l) => lines.push(l)) });
  try {
    const outcomes = await new Promise<unknown[]>((done) => notifier.send([{ type: 'webhook', url: r.url }], NOTICE, done));
    assert.equal(outcomes.length, 1);
    assert.equal(r.got.length, 4);
    assert.equal(lines.length, 1, lines.join(''));
    assert.match(lines[0]!, /alert notification failed/);
    assert.doesNotMatch(lines[0]!, /secret=s/);
  } finally {
    await notifier.stop();
    await r.close();
  }
});
