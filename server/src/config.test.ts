import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopback, loadConfig, machineHostName, parseDuration, readsLocalEngine } from './config.js';

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

test('hosts: the machine name, remote engines, and whether the local engine is read', () => {
  assert.equal(machineHostName('web-01.example.com'), 'web-01');
  assert.equal(machineHostName('my host!'), 'my-host-');
  assert.equal(machineHostName('.'), 'localhost');
  const c = loadConfig([], {
    DOCKPULSE_HOST_NAME: 'gw',
    DOCKPULSE_ENGINES: 'db-01=tcp://10.0.0.5:2376, lab=unix:///run/lab.sock,old=http://10.0.0.9:2375',
  });
  assert.ok(c.ok);
  assert.equal(c.value.hostName, 'gw');
  assert.equal(readsLocalEngine(c.value), true, 'without a bus the local engine is read');
  assert.deepEqual(c.value.engines, [
    { name: 'db-01', url: 'tcp://10.0.0.5:2376' },
    { name: 'lab', url: 'unix:///run/lab.sock' },
    { name: 'old', url: 'http://10.0.0.9:2375' },
  ]);
  const bus = loadConfig([], {
    DOCKPULSE_NATS_URL: 'nats://a:4222,tls://b:4222',
    DOCKPULSE_NATS_USER: 'gw',
    DOCKPULSE_NATS_PASSWORD: 'pw',
  });
  assert.ok(bus.ok);
  assert.equal(readsLocalEngine(bus.value), false, 'with a bus the local engine is left to its agent');
  assert.deepEqual(bus.value.nats?.servers, ['nats://a:4222', 'tls://b:4222']);
  assert.equal(bus.value.nats?.prefix, 'dockpulse');
  const both = loadConfig(['--local-engine=true'], { DOCKPULSE_NATS_URL: 'nats://a:4222' });
  assert.ok(both.ok && readsLocalEngine(both.value));
});

test('refuses host and bus settings it cannot honour', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ DOCKPULSE_HOST_NAME: 'web.01' }, /DOCKPULSE_HOST_NAME must be/],
    [{ DOCKPULSE_ENGINES: 'db=ftp://x' }, /unix:\/\/\/path, tcp:\/\/host:port/],
    [{ DOCKPULSE_ENGINES: '=tcp://x:1' }, /not name=url/],
    [{ DOCKPULSE_ENGINES: 'a=tcp://x:1,a=tcp://y:1' }, /named twice/],
    [{ DOCKPULSE_HOST_NAME: 'a', DOCKPULSE_ENGINES: 'a=tcp://x:1' }, /two hosts are named "a"/],
    [{ DOCKPULSE_NATS_URL: 'nats://user:pw@a:4222' }, /give credentials in their own settings/],
    [{ DOCKPULSE_NATS_TOKEN: 't' }, /DOCKPULSE_NATS_URL is needed/],
    [{ DOCKPULSE_NATS_URL: 'nats://a:1', DOCKPULSE_NATS_TOKEN: 't', DOCKPULSE_NATS_USER: 'u', DOCKPULSE_NATS_PASSWORD: 'p' }, /one way/],
    [{ DOCKPULSE_NATS_URL: 'nats://a:1', DOCKPULSE_NATS_USER: 'u' }, /go together/],
    [{ DOCKPULSE_NATS_URL: 'nats://a:1', DOCKPULSE_NATS_PREFIX: 'a..b' }, /subject tokens/],
    [{ DOCKPULSE_SHARE_SECRET: 'xyz' }, /64 hex digits/],
    [{ DOCKPULSE_RECORD: 'some' }, /all or watched/],
  ];
  for (const [env, want] of cases) {
    const c = loadConfig([], env);
    assert.equal(c.ok, false, JSON.stringify(env));
    if (!c.ok) assert.match(c.error, want);
  }
});
