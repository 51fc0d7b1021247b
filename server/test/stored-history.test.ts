/**
 * The stored history on a real engine: what a gateway recorded is still there after it restarts, a removed
 * container's history is found by its name, a share link reads its own container's history and nothing else,
 * and bad queries are refused with a reason, over HTTP and over the socket.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import {
  parseHistoryRange,
  type ErrorMessage,
  type HistoryRange,
  type RangeMessage,
  type ServerMessage,
  type ShareInfo,
} from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { ensureTestImage } from './helpers/docker.js';
import { waitForListed } from './helpers/gateway.js';
import { LabelledContainers } from './helpers/labelled-containers.js';
import { errorCode, postJson, raw, type RawResponse } from './helpers/raw-http.js';
import { bootOnStateDir, tempStateDir, type TempStateDir } from './helpers/state-gateway.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const HOST = hostname();
const HOUR = 3_600_000;

async function history(gateway: Gateway, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(gateway.url, 'GET', path, { headers });
}

function rangeOf(body: string): HistoryRange {
  const range = parseHistoryRange(JSON.parse(body));
  assert.ok(range, `not a history range: ${body.slice(0, 200)}`);
  return range;
}

const isAnswer =
  (req: string) =>
  (m: ServerMessage): m is RangeMessage | ErrorMessage =>
    (m.type === 'range' || m.type === 'error') && m.req === req;

describe('stored history', () => {
  const containers = new LabelledContainers('dockpulse.test=stored-history');
  let state: TempStateDir;
  let gateway: Gateway | undefined;
  let a = '';
  let b = '';
  const name = (n: string): string => containers.prefix + n;

  before(async () => {
    await ensureTestImage();
    state = await tempStateDir();
    [a, b] = await Promise.all([containers.run('a'), containers.run('b')]);
    gateway = await bootOnStateDir(state.path, (c) => (c.source = 'docker'));
    await waitForListed(gateway, a);
    await waitForListed(gateway, b);
  });

  after(async () => {
    await gateway?.stop();
    await containers.removeAll();
    await state.remove();
  });

  test('a 1-hour query after a restart returns the points recorded before it; the recent window comes from memory', async () => {
    let g = gateway!;
    const path = (from: number, to: number): string => `/api/containers/${HOST}/${name('a')}/history?from=${from}&to=${to}`;
    // A few samples, so that the running minute holds something.
    await waitUntil(
      async () => {
        const now = Date.now();
        const r = rangeOf((await history(g, path(now - 60_000, now))).body);
        return r.series.mem!.avg.filter((v) => v !== null).length >= 3;
      },
      15_000,
      'three samples in the recent window',
    );
    const recent = rangeOf((await history(g, path(Date.now() - 60_000, Date.now()))).body);
    assert.equal(recent.tier, 'raw');
    assert.equal(recent.step, 1);
    assert.deepEqual(recent.container, { host: HOST, id: a, name: name('a') });

    // A gateway that stops writes the minute it was filling.
    await g.stop();
    gateway = g = await bootOnStateDir(state.path, (c) => (c.source = 'docker'));
    const now = Date.now();
    const res = await history(g, path(now - HOUR, now));
    assert.equal(res.status, 200, res.body);
    const hour = rangeOf(res.body);
    assert.equal(hour.tier, 'minute');
    assert.equal(hour.step, 60);
    assert.equal(hour.t.length, 61);
    const mem = hour.series.mem!;
    const recorded = mem.avg.flatMap((v, i) => (v === null ? [] : [i]));
    assert.ok(recorded.length >= 1, 'a point from before the restart');
    for (const i of recorded) {
      assert.ok(mem.avg[i]! > 0, 'a sleeping busybox uses some memory');
      assert.ok(mem.min[i]! <= mem.avg[i]! && mem.avg[i]! <= mem.max[i]!, 'min ≤ avg ≤ max');
    }
    assert.equal(mem.avg[0], null, 'nothing was recorded an hour ago: a gap, not a 0');
  });

  test("a removed container's history stays, found by its name", async () => {
    const g = gateway!;
    const now = Date.now();
    await containers.remove(b);
    await waitUntil(() => !g.hosts.all().some((c) => c.id === b), 10_000, 'b gone from the list');
    // b's running minute is written with the next finished minute or when the gateway stops; its earlier
    // points were written when the first gateway stopped.
    const res = await history(g, `/api/containers/${name('b')}/history?from=${now - HOUR}&to=${now}&metrics=mem`);
    assert.equal(res.status, 200, res.body);
    const r = rangeOf(res.body);
    assert.equal(r.container.id, b);
    assert.deepEqual(Object.keys(r.series), ['mem']);
    assert.ok(r.series.mem!.avg.some((v) => v !== null));
  });

  test('a share link reads its own container’s history, over HTTP and its socket, and is refused every other', async () => {
    const g = gateway!;
    const made = await postJson(g.url, '/api/shares', { container: name('a'), ttlSeconds: 600 }, { Origin: g.url });
    assert.equal(made.status, 201, made.body);
    const share = JSON.parse(made.body) as ShareInfo;
    const bearer = { Authorization: `Bearer ${share.token}` };
    const now = Date.now();
    const q = `from=${now - HOUR}&to=${now}`;
    assert.equal((await history(g, `/api/containers/${HOST}/${name('a')}/history?${q}`, bearer)).status, 200);
    assert.equal((await history(g, `/api/containers/${a}/history?${q}`, bearer)).status, 200);
    for (const other of [`/api/containers/${name('b')}/history?${q}`, `/api/containers/nothing-here/history?${q}`]) {
      const res = await history(g, other, bearer);
      assert.equal(res.status, 403, `${other}: ${res.body}`);
      assert.equal(errorCode(res), 'forbidden');
    }
    assert.equal((await history(g, '/api/containers', bearer)).status, 403);
    // A link is handed to others: its answers are bounded as the socket's are, before anything is read.
    const long = `/api/containers/${a}/history?from=${now - 13 * 86_400_000}&to=${now}&step=60`;
    const refused = await history(g, long, bearer);
    assert.equal(refused.status, 400, refused.body);
    assert.match(refused.body, /at most 5000\): ask a step of 225 s or more/);
    assert.equal((await history(g, long)).status, 200, 'the operator may ask for as many as 50000');

    const client = await TestClient.connect(g.url, { headers: bearer });
    try {
      client.send({ type: 'range', req: 'own', topic: `stats:${HOST}/${a}`, from: now - 60_000, to: now });
      const own = await client.waitFor(isAnswer('own'), 5000);
      assert.equal(own.type, 'range', JSON.stringify(own));
      client.send({ type: 'range', req: 'other', topic: `stats:${HOST}/${name('b')}`, from: now - 60_000, to: now });
      const other = await client.waitFor(isAnswer('other'), 5000);
      assert.deepEqual([other.type, other.type === 'error' && other.code], ['error', 'forbidden']);
    } finally {
      await client.close();
    }
  });

  test('bad queries get a 400 that says why, over HTTP; the socket answers them with an error carrying req', async () => {
    const g = gateway!;
    const now = Date.now();
    const base = `/api/containers/${name('a')}/history`;
    const cases: [string, RegExp][] = [
      [`${base}`, /"from"/],
      [`${base}?from=${now}&to=${now - 1}`, /after "from"/],
      [`${base}?from=abc&to=${now}`, /"from"/],
      [`${base}?from=${now - HOUR}&to=${now}&step=0`, /"step"/],
      [`${base}?from=${now - HOUR}&to=${now}&metrics=cpu,secrets`, /unknown metric "secrets"/],
      [`${base}?from=0&to=${now}&step=3600`, /ten years/],
      [`${base}?from=${now - 3000 * 86_400_000}&to=${now}&step=3600`, /too many.*ask a step of \d+ s or more/],
      [`/api/containers/a..b%2F/history?from=0&to=1`, /the path is/],
    ];
    for (const [path, why] of cases) {
      const res = await history(g, path);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      assert.equal(errorCode(res), 'bad_request');
      assert.match((JSON.parse(res.body) as { message: string }).message, why, path);
    }
    const missing = await history(g, `/api/containers/never-was-here/history?from=${now - HOUR}&to=${now}`);
    assert.equal(missing.status, 404);

    const client = await TestClient.connect(g.url);
    try {
      client.send({ type: 'range', req: 'r1', topic: `stats:${HOST}/${a}`, from: now - 60_000, to: now, metrics: ['cpu'] });
      const ok = await client.waitFor(isAnswer('r1'), 5000);
      assert.equal(ok.type, 'range');
      assert.deepEqual(ok.type === 'range' && Object.keys(ok.range.series), ['cpu']);
      client.send({ type: 'range', req: 'r2', topic: `stats:${HOST}/${a}`, from: now - 13 * 86_400_000, to: now, step: 60 });
      const tooMany = await client.waitFor(isAnswer('r2'), 5000);
      assert.equal(tooMany.type === 'error' && tooMany.code, 'bad_message');
      client.send({ type: 'range', req: 'bad id!', topic: `stats:${HOST}/${a}`, from: 0, to: 1 });
      const badReq = await client.waitFor((m) => m.type === 'error' && m.code === 'bad_message' && /"req"/.test(m.message), 5000);
      assert.ok(badReq);
      assert.ok(await client.roundTrip().then(() => true), 'the socket still works');
    } finally {
      await client.close();
    }
  });
});
