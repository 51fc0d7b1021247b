import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpointOptions, engineOptions } from './engine.js';

test('DOCKER_HOST is read as the docker CLI reads it', () => {
  const cases: [Record<string, string>, string, Record<string, unknown>][] = [
    [{}, 'unix:///var/run/docker.sock', { socketPath: '/var/run/docker.sock' }],
    [{ DOCKER_HOST: 'unix:///tmp/d.sock' }, 'unix:///tmp/d.sock', { socketPath: '/tmp/d.sock' }],
    [{ DOCKER_HOST: 'tcp://10.1.2.3:2375' }, 'tcp://10.1.2.3:2375', { protocol: 'http', host: '10.1.2.3', port: 2375 }],
    [{ DOCKER_HOST: 'tcp://docker.local' }, 'tcp://docker.local', { protocol: 'http', host: 'docker.local', port: 2375 }],
    [{ DOCKER_HOST: 'ssh://me@box:2222' }, 'ssh://me@box:2222', { protocol: 'ssh', host: 'box', port: 2222, username: 'me' }],
  ];
  for (const [env, endpoint, options] of cases) {
    const r = engineOptions(env);
    assert.ok(r.ok, JSON.stringify(env));
    assert.equal(r.value.endpoint, endpoint);
    assert.deepEqual(r.value.options, options);
  }
});

test('TLS takes the certificates from DOCKER_CERT_PATH', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-certs-'));
  try {
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, f), f);
    const r = engineOptions({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir });
    assert.ok(r.ok);
    assert.equal(r.value.options.protocol, 'https');
    assert.equal((r.value.options.ca as Buffer).toString(), 'ca.pem');
    assert.equal((r.value.options.key as Buffer).toString(), 'key.pem');
    const missing = engineOptions({ DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(dir, 'nope') });
    assert.equal(missing.ok, false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a malformed DOCKER_HOST is refused with a reason', () => {
  for (const host of ['unix://', 'ftp://x', 'not a url']) {
    const r = engineOptions({ DOCKER_HOST: host });
    assert.equal(r.ok, false, host);
  }
});

test('an endpoint and a certificate folder make the options: TLS exactly when a folder is given', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-certs-'));
  try {
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(dir, f), f);
    const cases: [string, string | undefined, Record<string, unknown>][] = [
      ['unix:///run/d.sock', dir, { socketPath: '/run/d.sock' }],
      ['tcp://h:1234', undefined, { protocol: 'http', host: 'h', port: 1234 }],
      ['http://h', undefined, { protocol: 'http', host: 'h', port: 2375 }],
      [
        'tcp://h',
        dir,
        { protocol: 'https', host: 'h', port: 2376, ca: Buffer.from('ca.pem'), cert: Buffer.from('cert.pem'), key: Buffer.from('key.pem') },
      ],
      [
        'https://h:3000',
        dir,
        { protocol: 'https', host: 'h', port: 3000, ca: Buffer.from('ca.pem'), cert: Buffer.from('cert.pem'), key: Buffer.from('key.pem') },
      ],
    ];
    for (const [endpoint, certDir, options] of cases) {
      const r = endpointOptions(endpoint, certDir);
      assert.ok(r.ok, endpoint);
      assert.deepEqual(r.value, { endpoint, options }, endpoint);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('certificate files that cannot be read are each named', () => {
  const r = endpointOptions('tcp://h:2376', '/nonexistent/certs');
  assert.equal(r.ok, false);
  if (r.ok) return;
  for (const f of ['ca.pem', 'cert.pem', 'key.pem']) assert.ok(r.error.includes(`/nonexistent/certs/${f} is missing`), r.error);
  assert.equal(endpointOptions('https://h', undefined).ok, false, 'https without certificates is refused');
});
