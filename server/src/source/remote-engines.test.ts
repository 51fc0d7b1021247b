import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type RemoteEngine } from '../config.js';
import { createLogger } from '../log.js';
import { describeEngineError } from '../docker/engine-error.js';
import { endpointOptions } from '../docker/engine.js';
import { issueCertificate, makeCa, writeClientFolder } from '../testing/certificates.js';
import { connectRemoteEngines, engineCertsDir, remoteAddress, remoteEngineSources } from './remote-engines.js';

/** A configuration with these engines, its state and certificates under `dir`. */
function configOf(dir: string, engines: RemoteEngine[], certsDir?: string): ReturnType<typeof defaultConfig> {
  const config = defaultConfig();
  config.stateDir = join(dir, 'state');
  config.engineCertsDir = certsDir;
  config.engines = engines;
  return config;
}

/** A temporary directory for one test, removed after it. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-remote-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes a certificate folder whose files hold their own names, enough for building options. */
async function fakeFolder(dir: string, files = ['ca.pem', 'cert.pem', 'key.pem']): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of files) await writeFile(join(dir, f), f);
}

test('the certificate folder is the one configured, else <stateDir>/engines', () => {
  assert.equal(engineCertsDir({ stateDir: '/var/lib/dockpulse', engineCertsDir: undefined }), '/var/lib/dockpulse/engines');
  assert.equal(engineCertsDir({ stateDir: '/var/lib/dockpulse', engineCertsDir: '/etc/dockpulse/engines' }), '/etc/dockpulse/engines');
});

test('each address is reached as its scheme says: tcp with TLS from its own folder, http and unix without', () => {
  const cases: [url: string, certDir: string | undefined, plain: boolean, options: Record<string, unknown>][] = [
    ['unix:///run/other/docker.sock', undefined, false, { socketPath: '/run/other/docker.sock' }],
    ['http://10.0.0.5:2375', undefined, true, { protocol: 'http', host: '10.0.0.5', port: 2375 }],
    ['http://build-box', undefined, true, { protocol: 'http', host: 'build-box', port: 2375 }],
    ['tcp://10.0.0.5:12376', '/certs/box', false, { protocol: 'https', host: '10.0.0.5', port: 12376 }],
    ['tcp://build-box', '/certs/box', false, { protocol: 'https', host: 'build-box', port: 2376 }],
  ];
  for (const [url, certDir, plain, options] of cases) {
    const address = remoteAddress({ name: 'box', url }, '/certs');
    assert.deepEqual(address, { name: 'box', endpoint: url, certDir, plain }, url);
    if (certDir !== undefined) continue;
    const built = endpointOptions(address.endpoint, address.certDir);
    assert.ok(built.ok, url);
    assert.deepEqual(built.value.options, options, url);
  }
});

test('tcp engines present the files of their own folder, and a missing file stops the start naming every one', async () => {
  await withDir(async (dir) => {
    const certs = join(dir, 'certs');
    await fakeFolder(join(certs, 'a'));
    await fakeFolder(join(certs, 'b'), ['cert.pem']);
    const good = connectRemoteEngines(configOf(dir, [{ name: 'a', url: 'tcp://10.0.0.5:2376' }], certs));
    assert.ok(good.ok);
    const options = endpointOptions('tcp://10.0.0.5:2376', join(certs, 'a'));
    assert.ok(options.ok);
    assert.deepEqual(Object.fromEntries(['ca', 'cert', 'key'].map((f) => [f, String(options.value.options[f as 'ca'])])), {
      ca: 'ca.pem',
      cert: 'cert.pem',
      key: 'key.pem',
    });
    assert.equal(good.value[0]!.engine.endpoint, 'tcp://10.0.0.5:2376');

    // [entry, certificate folder setting, what the error names, what it must not name]
    const cases: [RemoteEngine, string | undefined, string[], string[]][] = [
      [
        { name: 'b', url: 'tcp://10.0.0.6:2376' },
        certs,
        ['DOCKPULSE_ENGINES b: ', `${join(certs, 'b', 'ca.pem')} is missing`, `${join(certs, 'b', 'key.pem')} is missing`],
        [join(certs, 'b', 'cert.pem')],
      ],
      // No folder configured: the default one under the state directory is named.
      [{ name: 'c', url: 'tcp://10.0.0.7:2376' }, undefined, [`${join(dir, 'state', 'engines', 'c', 'cert.pem')} is missing`], []],
    ];
    for (const [engine, certsDir, named, unnamed] of cases) {
      const r = connectRemoteEngines(configOf(dir, [engine], certsDir));
      assert.equal(r.ok, false, engine.name);
      if (r.ok) continue;
      for (const text of named) assert.ok(r.error.includes(text), `"${r.error}" does not say ${text}`);
      for (const text of unnamed) assert.ok(!r.error.includes(text), `"${r.error}" names ${text}, which is there`);
    }
  });
});

test('an engine reached over plain TCP is warned about once, at start; TLS and socket engines are not', async () => {
  await withDir(async (dir) => {
    await fakeFolder(join(dir, 'certs', 'tls'));
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const config = configOf(
      dir,
      [
        { name: 'plain', url: 'http://10.0.0.5:2375' },
        { name: 'tls', url: 'tcp://10.0.0.6:2376' },
        { name: 'sock', url: 'unix:///run/other.sock' },
      ],
      join(dir, 'certs'),
    );
    const sources = remoteEngineSources(config, log);
    assert.ok(sources.ok);
    assert.deepEqual(
      sources.value.map((s) => [s.host, s.describe.docker, s.describe.source]),
      [
        ['plain', 'http://10.0.0.5:2375', 'docker'],
        ['tls', 'tcp://10.0.0.6:2376', 'docker'],
        ['sock', 'unix:///run/other.sock', 'docker'],
      ],
    );
    const warnings = lines.filter((l) => l['level'] === 'warn');
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.equal(warnings[0]!['host'], 'plain');
    assert.equal(warnings[0]!['endpoint'], 'http://10.0.0.5:2375');
    assert.match(String(warnings[0]!['msg']), /without TLS/);
  });
});

test("TLS verifies the engine's certificate against the folder's CA and presents the folder's client certificate", async () => {
  await withDir(async (dir) => {
    const ca = await makeCa(dir, 'engine');
    const foreign = await makeCa(dir, 'foreign');
    const server = await issueCertificate(ca, dir, 'engine', { server: ['DNS:localhost', 'IP:127.0.0.1'] });
    const certs = join(dir, 'certs');
    await writeClientFolder(join(certs, 'right'), ca);
    await writeClientFolder(join(certs, 'wrong-ca'), foreign);
    await writeClientFolder(join(certs, 'wrong-client'), ca, foreign);
    // An engine's TLS listener as `dockerd --tlsverify` runs it: only clients with a certificate from its CA.
    const engine = createServer(
      {
        key: readFileSync(server.key),
        cert: readFileSync(server.cert),
        ca: readFileSync(ca.cert),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_req, res) => res.end('OK'),
    );
    await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
    try {
      const url = `tcp://127.0.0.1:${(engine.address() as AddressInfo).port}`;
      const connected = connectRemoteEngines(
        configOf(
          dir,
          ['right', 'wrong-ca', 'wrong-client'].map((name) => ({ name, url })),
          certs,
        ),
      );
      assert.ok(connected.ok);
      const [right, wrongCa, wrongClient] = connected.value.map((c) => c.engine);
      assert.equal(String(await right!.docker.ping()), 'OK');
      const refused = await wrongCa!.docker.ping().then(
        () => assert.fail('a certificate from another CA was accepted'),
        (e: unknown) => e,
      );
      assert.match(describeEngineError(refused, 'DOCKPULSE_ENGINES'), /certificate could not be verified/);
      await assert.rejects(wrongClient!.docker.ping(), 'the engine accepted a client certificate from another CA');
    } finally {
      engine.closeAllConnections();
      await new Promise<void>((resolve) => engine.close(() => resolve()));
    }
  });
});
