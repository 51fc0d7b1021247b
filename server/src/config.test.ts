import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, loadConfig, parseDuration } from './config.js';

test('durations', () => {
  const cases: [string, number | undefined][] = [
    ['15m', 900_000],
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['250', 250],
    ['1.5s', 1500],
    ['', undefined],
    ['-1s', undefined],
    ['5 minutes', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseDuration(text), want, text);
});

test('loopback hosts', () => {
  for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) assert.equal(isLoopback(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com']) assert.equal(isLoopback(h), false, h);
});

test('defaults, environment, and flags that win over it', () => {
  const c = loadConfig([], {});
  assert.ok(c.ok);
  assert.equal(c.value.host, '127.0.0.1');
  assert.equal(c.value.port, 8080);
  assert.equal(c.value.intervalMs, 1000);
  assert.equal(c.value.historyMs, 900_000);
  assert.equal(c.value.outbox.sendTimeoutMs, 100);
  assert.equal(c.value.outbox.maxQueuedFrames, 1024);

  const e = loadConfig(['--port', '9000', '--history=5m'], {
    DOCKPULSE_PORT: '8081',
    DOCKPULSE_ORIGINS: 'https://a.example, http://b.example:8080',
    DOCKPULSE_INTERVAL_MS: '2000',
  });
  assert.ok(e.ok);
  assert.equal(e.value.port, 9000);
  assert.equal(e.value.historyMs, 300_000);
  assert.equal(e.value.intervalMs, 2000);
  assert.deepEqual(e.value.origins, ['https://a.example', 'http://b.example:8080']);
});

test('refuses what it cannot honour, saying which setting and why', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[], { DOCKPULSE_HOST: '0.0.0.0' }, /without an access token/],
    [[], { DOCKPULSE_PORT: '70000' }, /DOCKPULSE_PORT must be a whole number/],
    [['--port=abc'], {}, /--port must be a whole number/],
    [[], { DOCKPULSE_TOKEN: 'short' }, /at least 16/],
    [[], { DOCKPULSE_ORIGINS: 'https://a.example/path' }, /not an origin/],
    [[], { DOCKPULSE_INTERVAL_MS: '100' }, /from 1000/],
    [['--nope=1'], {}, /unknown flag --nope/],
    [['--port'], {}, /needs a value/],
    [['stray'], {}, /unexpected argument/],
  ];
  for (const [argv, env, want] of cases) {
    const c = loadConfig(argv, env);
    assert.equal(c.ok, false, JSON.stringify([argv, env]));
    if (!c.ok) assert.match(c.error, want);
  }
});

test('listening beyond loopback is allowed with a token', () => {
  const c = loadConfig([], { DOCKPULSE_HOST: '0.0.0.0', DOCKPULSE_TOKEN: 'a-long-enough-secret-token' });
  assert.ok(c.ok);
  assert.equal(c.value.token, 'a-long-enough-secret-token');
});
