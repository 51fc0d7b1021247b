import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHistoryQuery, historySearch, parseHistoryRange, parseHistorySearch } from './history.js';
import { parseClientMessage } from './client-message.js';

test('a query string parses into the query it was made from', () => {
  const q = { from: 1000, to: 5000, step: 60, metrics: ['cpu' as const, 'mem' as const] };
  assert.deepEqual(parseHistorySearch(new URLSearchParams(historySearch(q))), { ok: true, value: q });
  assert.deepEqual(parseHistorySearch(new URLSearchParams('from=1&to=2')), { ok: true, value: { from: 1, to: 2 } });
});

test('bad queries are refused with the field at fault', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ to: 5 }, /"from"/],
    [{ from: -1, to: 5 }, /"from"/],
    [{ from: 1.5, to: 5 }, /"from"/],
    [{ from: 5, to: 5 }, /after "from"/],
    [{ from: 0, to: 11 * 366 * 86_400_000 }, /ten years/],
    [{ from: 0, to: 5, step: 0.5 }, /"step"/],
    [{ from: 0, to: 5, step: 1e9 }, /"step"/],
    [{ from: 0, to: 5, metrics: [] }, /"metrics"/],
    [{ from: 0, to: 5, metrics: 'cpu' }, /"metrics"/],
    [{ from: 0, to: 5, metrics: ['cpu', 'x'.repeat(500)] }, /unknown metric "x{40}"/],
  ];
  for (const [raw, why] of bad) {
    const r = checkHistoryQuery(raw as { from: unknown; to: unknown });
    assert.ok(!r.ok, JSON.stringify(raw));
    assert.match(r.error.message, why);
  }
  assert.ok(!parseHistorySearch(new URLSearchParams('from=1e3&to=5')).ok, 'only plain digits');
});

test('a range request on the socket needs a request id and a valid query', () => {
  const ok = parseClientMessage(JSON.stringify({ type: 'range', req: 'r-1', topic: 'stats:h/web', from: 1, to: 2, step: 1 }), 10);
  assert.deepEqual(ok, { ok: true, value: { type: 'range', req: 'r-1', topic: 'stats:h/web', from: 1, to: 2, step: 1 } });
  for (const msg of [
    { type: 'range', topic: 'stats:h/web', from: 1, to: 2 },
    { type: 'range', req: 'a b', topic: 'stats:h/web', from: 1, to: 2 },
    { type: 'range', req: 'x'.repeat(65), topic: 'stats:h/web', from: 1, to: 2 },
    { type: 'range', req: 'r', from: 1, to: 2 },
    { type: 'range', req: 'r', topic: 'stats:h/web', from: 2, to: 1 },
  ]) {
    const r = parseClientMessage(JSON.stringify(msg), 10);
    assert.ok(!r.ok && r.error.code === 'bad_message', JSON.stringify(msg));
  }
});

test('a range answer parses only when every column has one entry per time', () => {
  const range = {
    container: { host: 'h', id: 'i', name: 'n' },
    tier: 'minute',
    step: 60,
    t: [0, 60_000],
    series: { cpu: { avg: [1, null], min: [1, null], max: [1, null] } },
  };
  assert.deepEqual(parseHistoryRange(range), range);
  assert.equal(parseHistoryRange({ ...range, series: { cpu: { avg: [1], min: [1, null], max: [1, null] } } }), undefined);
  assert.equal(parseHistoryRange({ ...range, series: { disk: { avg: [1, 1], min: [1, 1], max: [1, 1] } } }), undefined);
  assert.equal(parseHistoryRange({ ...range, tier: 'day' }), undefined);
});
