/**
 * The protocol's parsers against any input (fast-check): whatever a peer sends, each returns a typed value or a
 * typed error, never throws, and an error carries a code of the protocol. `SOAK=long` or `SOAK_PROPERTY_RUNS`
 * runs many more cases (the README's soak tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseClientMessage, parseTopic } from './client-message.js';
import { parseServerMessage } from './server-message.js';
import { DEFAULT_LIMITS, ErrorCode, MAX_TOPIC_LENGTH, STATS_TOPIC_PREFIX } from './protocol.js';

const runs = Number(process.env['SOAK_PROPERTY_RUNS'] ?? (process.env['SOAK'] === 'long' ? 10_000 : 300));
fc.configureGlobal({ numRuns: runs });

const CODES = new Set<string>(Object.values(ErrorCode));
const MAX_TOPICS = DEFAULT_LIMITS.maxSubscriptions;

/** Any text a frame can carry: any code points, or any bytes read as UTF-8 (what the gateway does with a frame). */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('utf8')),
);

/** Values a field may hold, of every JSON type and a few that JSON turns into others. */
const anyField = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(Number.MAX_VALUE, -0, 1e308 * 10, 2 ** 53 + 1, '', 'containers', 'alerts', `${STATS_TOPIC_PREFIX}${'a'.repeat(64)}`),
);

/** Objects shaped like client messages: a known or unknown type, and any of the fields messages have, of any type. */
const messageLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom('ping', 'subscribe', 'unsubscribe', 'range', 'hello', 'stats', ''), anyField),
    topics: fc.oneof(fc.array(fc.oneof(fc.string(), anyField), { maxLength: 5 }), anyField),
    history: anyField,
    req: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,70}$/), anyField),
    topic: fc.oneof(fc.string(), anyField),
    from: fc.oneof(fc.integer(), fc.double(), anyField),
    to: fc.oneof(fc.integer(), fc.double(), anyField),
    step: fc.oneof(fc.integer(), anyField),
    metrics: fc.oneof(fc.array(fc.constantFrom('cpu', 'mem', 'net', 'blk', 'pids', 'x')), anyField),
  },
  { requiredKeys: [] },
);

/** Topic strings near the valid ones: a known prefix, then anything. */
const topicLike = fc.oneof(
  anyText,
  fc.tuple(fc.constantFrom(STATS_TOPIC_PREFIX, 'containers', 'alerts', `${STATS_TOPIC_PREFIX}h/`), anyText).map(([a, b]) => a + b),
  fc.stringMatching(/^stats:[A-Za-z0-9_./-]{0,250}$/),
);

function checkClientResult(text: string): void {
  const r = parseClientMessage(text, MAX_TOPICS);
  if (r.ok) {
    assert.ok(['ping', 'subscribe', 'unsubscribe', 'range'].includes(r.value.type));
    if (r.value.type === 'subscribe' || r.value.type === 'unsubscribe') {
      assert.ok(r.value.topics.length >= 1 && r.value.topics.length <= MAX_TOPICS);
      assert.ok(r.value.topics.every((t) => typeof t === 'string'));
    }
  } else {
    assert.ok(CODES.has(r.error.code), `unknown code ${r.error.code}`);
    assert.equal(typeof r.error.message, 'string');
    assert.ok(r.error.message.length > 0 && r.error.message.length < 500, 'a short message');
  }
}

test('any text as a client frame parses to a message or an error with a protocol code', () => {
  fc.assert(fc.property(anyText, (text) => checkClientResult(text)));
});

test('any JSON value as a client frame parses to a message or an error with a protocol code', () => {
  fc.assert(fc.property(fc.jsonValue(), (value) => checkClientResult(JSON.stringify(value) ?? 'null')));
});

test('objects shaped like client messages, with fields of any type, parse to a message or an error', () => {
  fc.assert(fc.property(messageLike, (value) => checkClientResult(JSON.stringify(value))));
});

test('JSON nested as deep as a frame allows is refused without exhausting the stack', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: DEFAULT_LIMITS.maxPayloadBytes / 2 - 1 }), fc.constantFrom('[]', '{}'), (depth, pair) => {
      const open = pair === '[]' ? '[' : '{"a":';
      const close = pair === '[]' ? ']' : '}';
      const text = open.repeat(Math.min(depth, Math.floor(DEFAULT_LIMITS.maxPayloadBytes / open.length))) + close.repeat(depth);
      checkClientResult(text);
      assert.equal(parseClientMessage(text, MAX_TOPICS).ok, false);
    }),
    { numRuns: Math.min(runs, 50) },
  );
});

test('any topic string parses to a topic or a bad_topic error that quotes it bounded', () => {
  fc.assert(
    fc.property(topicLike, (topic) => {
      const r = parseTopic(topic);
      if (r.ok) {
        assert.ok(['containers', 'alerts', 'stats'].includes(r.value.kind));
      } else {
        assert.equal(r.error.code, ErrorCode.badTopic);
        assert.ok((r.error.topic ?? '').length <= MAX_TOPIC_LENGTH + 1, 'the topic is quoted at most MAX_TOPIC_LENGTH long');
      }
    }),
  );
});

test('a subscribe to any list of topics parses back to the same topics', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 20 }), fc.option(fc.nat()), (topics, history) => {
      const r = parseClientMessage(JSON.stringify({ type: 'subscribe', topics, ...(history === null ? {} : { history }) }), MAX_TOPICS);
      assert.ok(r.ok);
      assert.deepEqual(r.value, { type: 'subscribe', topics, ...(history === null ? {} : { history }) });
    }),
  );
});

test('any text or JSON as a server frame parses to a message or an error string (the client library’s parser)', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        anyText,
        fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
        messageLike.map((v) => JSON.stringify(v)),
      ),
      (text) => {
        const r = parseServerMessage(text);
        if (!r.ok) assert.equal(typeof r.error, 'string');
      },
    ),
  );
});
