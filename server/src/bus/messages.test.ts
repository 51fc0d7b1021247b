import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '@dockpulse/shared';
import { MAX_BUS_MESSAGE_BYTES, encode, parseEventsMessage, parseHeartbeat, parseHostRecord, parseSamplesMessage } from './messages.js';
import { busNames, parseHostSubject } from './subjects.js';

const ID = 'a'.repeat(64);
const AGENT = 'Zm9vYmFyYmF6cXV4';
const SAMPLE: Sample = {
  host: 'web-01',
  id: ID,
  t: 1,
  cpu: 1,
  mem: { used: 1, limit: 2, percent: 50 },
  net: { rx: 0, tx: 0, rxRate: null, txRate: null },
  blk: { read: 0, write: 0, readRate: null, writeRate: null },
  pids: 1,
};
const bytes = (v: unknown): Uint8Array => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const envelope = { v: 1 as const, agent: AGENT, t: 10 };

test('subjects, streams and buckets under a prefix; only well-formed host subjects parse', () => {
  const names = busNames('ops.dockpulse');
  assert.equal(names.host('web-01', 'samples'), 'ops.dockpulse.host.web-01.samples');
  assert.equal(names.allHosts('heartbeat'), 'ops.dockpulse.host.*.heartbeat');
  assert.equal(names.samplesStream, 'OPS_DOCKPULSE_SAMPLES');
  assert.equal(names.hostsBucket, 'ops_dockpulse_hosts');
  assert.equal(names.sharesBucket, 'ops_dockpulse_shares');
  const cases: [string, ReturnType<typeof parseHostSubject>][] = [
    ['ops.dockpulse.host.web-01.samples', { host: 'web-01', kind: 'samples' }],
    ['ops.dockpulse.host.web-01.events', { host: 'web-01', kind: 'events' }],
    ['ops.dockpulse.host.web-01.shell', undefined],
    ['ops.dockpulse.host.web.01.samples', undefined],
    ['ops.dockpulse.host.-x.samples', undefined],
    ['dockpulse.host.web-01.samples', undefined],
    ['ops.dockpulse.hosts.web-01.samples', undefined],
  ];
  for (const [subject, want] of cases) assert.deepEqual(parseHostSubject(names, subject), want, subject);
});

test('every message parses from what an agent encodes', () => {
  const samples = { ...envelope, samples: [SAMPLE] };
  assert.deepEqual(parseSamplesMessage(encode(samples), 'web-01'), { ok: true, value: samples });
  const beat = {
    ...envelope,
    startedAt: 5,
    everyMs: 1000,
    engine: { status: 'up', endpoint: 'unix:///x' },
    containers: 3,
    running: 2,
    server: 'dockpulse/x',
  };
  assert.deepEqual(parseHeartbeat(bytes(beat)), { ok: true, value: beat });
  const events = {
    ...envelope,
    events: [
      { id: ID, name: 'web', action: 'die', t: 9, exitCode: 137 },
      { id: ID, name: 'web', action: 'health', t: 9, health: 'unhealthy' },
    ],
  };
  assert.deepEqual(parseEventsMessage(bytes(events)), { ok: true, value: events });
  const container = { host: 'web-01', id: ID, name: 'web', image: 'i', state: 'running', status: 'Up', createdAt: 0 };
  const record = {
    ...envelope,
    startedAt: 5,
    everyMs: 1000,
    engine: { status: 'down', endpoint: 'unix:///x', error: 'gone' },
    containers: [container],
  };
  assert.deepEqual(parseHostRecord(bytes(record), 'web-01'), { ok: true, value: record });
});

test('what no agent should send is refused, with the reason it is counted under', () => {
  const big = Buffer.alloc(MAX_BUS_MESSAGE_BYTES + 1, 32);
  const cases: [string, () => ReturnType<typeof parseSamplesMessage>, string][] = [
    ['not JSON', () => parseSamplesMessage(bytes('{'), 'web-01'), 'malformed'],
    ['an array', () => parseSamplesMessage(bytes([]), 'web-01'), 'malformed'],
    ['another version', () => parseSamplesMessage(bytes({ ...envelope, v: 2, samples: [] }), 'web-01'), 'malformed'],
    ['no agent', () => parseSamplesMessage(bytes({ v: 1, t: 1, samples: [] }), 'web-01'), 'malformed'],
    [
      'an agent id with a dot',
      () => parseSamplesMessage(bytes({ ...envelope, agent: 'a.b.c.d.e.f.g.h', samples: [] }), 'web-01'),
      'malformed',
    ],
    [
      'a sample missing a field',
      () => parseSamplesMessage(bytes({ ...envelope, samples: [{ ...SAMPLE, mem: undefined }] }), 'web-01'),
      'malformed',
    ],
    [
      'a sample with a short id',
      () => parseSamplesMessage(bytes({ ...envelope, samples: [{ ...SAMPLE, id: 'abc' }] }), 'web-01'),
      'malformed',
    ],
    ["another host's sample", () => parseSamplesMessage(bytes({ ...envelope, samples: [SAMPLE] }), 'db-01'), 'foreign'],
    ['too large', () => parseSamplesMessage(big, 'web-01'), 'oversized'],
    [
      'too many samples',
      () => parseSamplesMessage(bytes({ ...envelope, samples: Array.from({ length: 10_001 }, () => 0) }), 'web-01'),
      'malformed',
    ],
  ];
  for (const [name, parse, reason] of cases) {
    const r = parse();
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.equal(r.error.reason, reason, name);
  }
  const event = (e: Record<string, unknown>) =>
    parseEventsMessage(bytes({ ...envelope, events: [{ id: ID, name: 'web', action: 'die', t: 1, ...e }] }));
  for (const e of [{ action: 'exec' }, { exitCode: '1' }, { health: 'fine' }, { id: 'x' }, { name: 'n'.repeat(300) }]) {
    assert.equal(event(e).ok, false, JSON.stringify(e));
  }
  const record = (r: Record<string, unknown>) =>
    parseHostRecord(
      bytes({ ...envelope, startedAt: 1, everyMs: 1000, engine: { status: 'up', endpoint: 'x' }, containers: [], ...r }),
      'web-01',
    );
  assert.equal(record({}).ok, true);
  assert.equal(record({ everyMs: 1 }).ok, false, 'a heartbeat faster than any agent sends');
  const stray = record({ containers: [{ host: 'db-01', id: ID, name: 'x', image: 'i', state: 'running', status: '', createdAt: 0 }] });
  assert.ok(!stray.ok && stray.error.reason === 'foreign');
});
