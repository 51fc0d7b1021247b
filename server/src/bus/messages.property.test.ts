/**
 * The bus's parsers against anything a publisher could send (fast-check): every message is parsed into a typed
 * value or refused with a reason, never throws, and what is accepted holds only what its subject allows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseShare } from '../auth/share-store.js';
import { propertyRuns } from '../testing/property-runs.js';
import { BUS_VERSION, parseEventsMessage, parseHeartbeat, parseHostRecord, parseSamplesMessage, type Refusal } from './messages.js';
import { busNames, parseHostSubject } from './subjects.js';

fc.configureGlobal({ numRuns: propertyRuns() });

const HOST = 'web-01';
const REASONS = new Set<Refusal['reason']>(['oversized', 'malformed', 'foreign']);
const ID = 'a'.repeat(64);

const anyField = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(ID, HOST, 'other-host', 'running', 'start', -1, 0, 1e308, ''));

/** A sample with each field of any type or of the right one. */
const sampleLike = fc.record(
  {
    host: fc.oneof(fc.constantFrom(HOST, 'other-host'), anyField),
    id: fc.oneof(fc.constant(ID), anyField),
    t: fc.oneof(fc.integer(), anyField),
    cpu: fc.oneof(fc.double(), fc.constant(null), anyField),
    mem: fc.oneof(fc.record({ used: fc.nat(), limit: fc.nat(), percent: fc.oneof(fc.double(), fc.constant(null)) }), anyField),
    net: fc.oneof(fc.record({ rx: fc.nat(), tx: fc.nat(), rxRate: fc.constant(null), txRate: fc.constant(null) }), anyField),
    blk: fc.oneof(fc.record({ read: fc.nat(), write: fc.nat(), readRate: fc.constant(null), writeRate: fc.constant(null) }), anyField),
    pids: fc.oneof(fc.nat(), fc.constant(null), anyField),
  },
  { requiredKeys: [] },
);

/** Envelopes with every field of any message, each of any type or of the right one. */
const messageLike = fc.record(
  {
    v: fc.oneof(fc.constant(BUS_VERSION), anyField),
    agent: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,70}$/), anyField),
    t: fc.oneof(fc.integer(), anyField),
    samples: fc.oneof(fc.array(fc.oneof(sampleLike, anyField), { maxLength: 4 }), anyField),
    events: fc.oneof(
      fc.array(fc.record({ id: fc.oneof(fc.constant(ID), anyField), name: anyField, action: anyField, t: anyField }, { requiredKeys: [] })),
      anyField,
    ),
    containers: fc.oneof(fc.array(anyField, { maxLength: 4 }), anyField),
    startedAt: fc.oneof(fc.integer(), anyField),
    everyMs: fc.oneof(fc.integer({ min: 0, max: 700_000 }), anyField),
    engine: fc.oneof(fc.record({ status: fc.constantFrom('up', 'down', 'x'), endpoint: fc.string() }), anyField),
    running: anyField,
    server: anyField,
  },
  { requiredKeys: [] },
);

/** Any bytes: random, JSON of anything, or JSON shaped like a bus message. */
const anyMessage = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  messageLike.map((v) => Buffer.from(JSON.stringify(v))),
);

function refusedWell<T>(r: { ok: true; value: T } | { ok: false; error: Refusal }): T | undefined {
  if (r.ok) return r.value;
  assert.ok(REASONS.has(r.error.reason), `unknown reason ${r.error.reason}`);
  assert.equal(typeof r.error.detail, 'string');
  return undefined;
}

test('any bytes as a samples message: parsed with samples of its own host only, or refused with a reason', () => {
  fc.assert(
    fc.property(anyMessage, (bytes) => {
      const m = refusedWell(parseSamplesMessage(bytes, HOST));
      if (m) for (const s of m.samples) assert.equal(s.host, HOST);
    }),
  );
});

test('any bytes as a heartbeat: parsed with a sane interval, or refused with a reason', () => {
  fc.assert(
    fc.property(anyMessage, (bytes) => {
      const m = refusedWell(parseHeartbeat(bytes));
      if (m) assert.ok(m.everyMs >= 100 && m.everyMs <= 600_000);
    }),
  );
});

test('any bytes as an events message: parsed into events of full container ids, or refused with a reason', () => {
  fc.assert(
    fc.property(anyMessage, (bytes) => {
      const m = refusedWell(parseEventsMessage(bytes));
      if (m) for (const e of m.events) assert.match(e.id, /^[0-9a-f]{64}$/);
    }),
  );
});

test('any bytes as a host record: parsed with containers of its own host only, or refused with a reason', () => {
  fc.assert(
    fc.property(anyMessage, (bytes) => {
      const m = refusedWell(parseHostRecord(bytes, HOST));
      if (m) for (const c of m.containers) assert.equal(c.host, HOST);
    }),
  );
});

test('any subject parses to a host and kind of the prefix, or to nothing', () => {
  const names = busNames('dockpulse');
  const subject = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.tuple(fc.constantFrom('dockpulse.host.', 'dockpulse.', ''), fc.string({ maxLength: 80 })).map(([a, b]) => a + b),
  );
  fc.assert(
    fc.property(subject, (s) => {
      const parsed = parseHostSubject(names, s);
      if (parsed) assert.equal(s, names.host(parsed.host, parsed.kind));
    }),
  );
});

test('any value as a stored share (the shares bucket, shares.json): a share of the right types, or nothing', () => {
  const shareLike = fc.record(
    {
      id: anyField,
      container: anyField,
      host: anyField,
      name: anyField,
      follow: fc.oneof(fc.boolean(), anyField),
      createdAt: fc.oneof(fc.integer(), anyField),
      expiresAt: fc.oneof(fc.integer(), anyField),
      revokedAt: fc.oneof(fc.integer(), anyField),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.oneof(shareLike, fc.jsonValue()), (v) => {
      const share = parseShare(v);
      if (!share) return;
      assert.equal(typeof share.id, 'string');
      assert.equal(typeof share.follow, 'boolean');
      assert.ok(Number.isFinite(share.createdAt) && Number.isFinite(share.expiresAt));
      if (share.revokedAt !== undefined) assert.ok(Number.isFinite(share.revokedAt));
    }),
  );
});
