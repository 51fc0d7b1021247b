import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALERT_LIMITS, globPattern, parseAlertNotice, parseAlertRule, parseAlertRuleView } from './alerts.js';

const GOOD = {
  name: 'busy',
  match: { name: 'web-*', label: 'tier=front', project: 'shop', host: 'edge-1' },
  metric: 'cpu',
  op: '>',
  threshold: 80,
  for: 600,
  cooldown: 900,
  notify: [
    { type: 'webhook', url: 'https://hooks.example.com/dockpulse' },
    { type: 'ntfy', url: 'https://ntfy.sh/ops' },
    { type: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
  ],
};

test('parseAlertRule takes a whole rule as it is', () => {
  assert.deepEqual(parseAlertRule(GOOD), { ok: true, value: GOOD });
});

test('parseAlertRule fills in an empty match, no targets and the default cooldown', () => {
  const parsed = parseAlertRule({ name: ' oom ', metric: 'oom', op: '>', threshold: 0, for: 60 });
  assert.deepEqual(parsed, {
    ok: true,
    value: {
      name: 'oom',
      match: {},
      metric: 'oom',
      op: '>',
      threshold: 0,
      for: 60,
      cooldown: ALERT_LIMITS.defaultCooldownSeconds,
      notify: [],
    },
  });
});

/** Each bad input, and the words of its refusal. */
const BAD: [string, unknown, RegExp][] = [
  ['not an object', [GOOD], /body must be a JSON object/],
  ['unknown field', { ...GOOD, cooldwon: 5 }, /unknown field "cooldwon"/],
  ['no name', { ...GOOD, name: '' }, /"name" must be text/],
  ['long name', { ...GOOD, name: 'x'.repeat(101) }, /"name" must be text of 1 to 100/],
  ['unknown metric', { ...GOOD, metric: 'disk' }, /"metric" must be one of cpu, mem_percent/],
  ['op >=', { ...GOOD, op: '>=' }, /"op" must be ">" or "<"/],
  ['threshold as text', { ...GOOD, threshold: '80' }, /"threshold" must be a finite number/],
  ['threshold null (JSON of Infinity)', { ...GOOD, threshold: null }, /"threshold" must be a finite number/],
  ['threshold Infinity', { ...GOOD, threshold: Infinity }, /"threshold" must be a finite number/],
  ['negative for', { ...GOOD, for: -5 }, /"for" must be a number of seconds above 0/],
  ['zero for', { ...GOOD, for: 0 }, /"for" must be a number of seconds above 0/],
  ['for over a day', { ...GOOD, for: 86_401 }, /"for" .* at most 86400/],
  ['no for', { ...GOOD, for: undefined }, /"for" must be a number/],
  ['negative cooldown', { ...GOOD, cooldown: -1 }, /"cooldown" must be a number of seconds above 0/],
  ['cooldown over a day', { ...GOOD, cooldown: 1e9 }, /"cooldown" .* at most 86400/],
  ['match not an object', { ...GOOD, match: 'web' }, /"match" must be an object/],
  ['unknown match field', { ...GOOD, match: { image: 'x' } }, /unknown field "match.image"/],
  ['giant glob', { ...GOOD, match: { name: '*'.repeat(201) } }, /"match.name" must be text of 1 to 200/],
  ['label with spaces', { ...GOOD, match: { label: 'a b=c' } }, /"match.label" must be key=value or key/],
  ['bad host', { ...GOOD, match: { host: 'a/b' } }, /"match.host" must be a host name/],
  ['notify not a list', { ...GOOD, notify: { type: 'webhook' } }, /"notify" must be a list/],
  ['too many targets', { ...GOOD, notify: Array(6).fill(GOOD.notify[0]) }, /at most 5 targets/],
  ['unknown target type', { ...GOOD, notify: [{ type: 'email', url: 'https://x' }] }, /"notify\[0\].type" must be one of/],
  ['file URL', { ...GOOD, notify: [{ type: 'webhook', url: 'file:///etc/passwd' }] }, /"notify\[0\].url" must be http:\/\/ or https:\/\//],
  ['relative URL', { ...GOOD, notify: [{ type: 'ntfy', url: '/topic' }] }, /"notify\[0\].url" must be an absolute URL/],
  [
    'long URL',
    { ...GOOD, notify: [{ type: 'slack', url: `https://x.example/${'a'.repeat(2048)}` }] },
    /"notify\[0\].url" must be at most 2048 characters/,
  ],
];

test('parseAlertRule refuses each bad input and says why', () => {
  for (const [what, input, message] of BAD) {
    const parsed = parseAlertRule(input);
    assert.equal(parsed.ok, false, what);
    if (!parsed.ok) assert.match(parsed.error, message, what);
  }
});

test('globPattern: * and ? are wildcards, everything else is literal', () => {
  assert.ok(globPattern('web-*').test('web-1'));
  assert.ok(globPattern('db?').test('db1'));
  assert.ok(!globPattern('db?').test('db12'));
  assert.ok(!globPattern('a.b').test('axb'));
  assert.ok(globPattern('(x)+[y]').test('(x)+[y]'));
});

test('the API shapes parse back: a rule view and a notice', () => {
  const view = {
    ...GOOD,
    id: 'r1',
    createdAt: 1,
    targets: [{ host: 'h', id: 'c', name: 'web-1', state: 'firing', value: 97.5, since: 2 }],
    delivery: [null, { type: 'ntfy', target: 'https://ntfy.sh', ok: false, attempts: 5, at: 3, error: 'HTTP 500' }, null],
  };
  assert.deepEqual(parseAlertRuleView(view), view);
  assert.equal(parseAlertRuleView({ ...view, targets: [{ state: 'odd' }] }), undefined);
  const notice = {
    rule: { id: 'r1', name: 'busy' },
    state: 'resolved',
    container: { host: 'h', id: 'c', name: 'web-1' },
    metric: 'cpu',
    op: '>',
    value: 12,
    threshold: 80,
    time: 4,
  };
  assert.deepEqual(parseAlertNotice(notice), notice);
  assert.equal(parseAlertNotice({ ...notice, state: 'pending' }), undefined);
});
