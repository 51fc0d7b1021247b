import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { hostStatsTopic, isObject, parseContainerSummary, parseHosts, type HostInfo } from '@dockpulse/shared';
import type { Gateway } from '../src/main.js';
import { bootGateway, httpGet } from './helpers/gateway.js';
import { startSecondEngine } from './helpers/second-engine.js';
import { TestClient } from './helpers/ws-client.js';
import { median, waitUntil } from './helpers/wait.js';

const started = await startSecondEngine({ tls: true });
after(async () => {
  if (started.ok) await started.value.stop();
});

/** The hosts the second engine is served as. */
const REMOTE_HOSTS = ['foreign', 'remote', 'sock'];

/** The hosts `GET /api/hosts` lists, by name. */
async function hostsOf(gateway: Gateway): Promise<Map<string, HostInfo>> {
  const res = await httpGet(gateway, '/api/hosts');
  assert.equal(res.status, 200, res.body);
  const body: unknown = JSON.parse(res.body);
  const hosts = parseHosts(isObject(body) ? body['hosts'] : undefined);
  assert.ok(hosts, `GET /api/hosts: ${res.body}`);
  return new Map(hosts.map((h) => [h.name, h]));
}

/**
 * A gateway reads a second real engine as hosts of their own, besides the local engine: over TCP with TLS
 * (`remote`), over its unix socket (`sock`), and over TCP with the certificates of a CA the engine does not know
 * (`foreign`), which must be unavailable without troubling the others.
 */
describe('engines read over their API without an agent', { skip: started.ok ? undefined : started.error }, () => {
  let gateway: Gateway | undefined;
  let certs = '';
  let burner = '';
  let idle = '';
  let stopped = '';

  before(async () => {
    assert.ok(started.ok);
    const engine = started.value;
    const tls = engine.tls!;
    certs = await mkdtemp(join(tmpdir(), 'dockpulse-engine-certs-'));
    await tls.clientFolder(join(certs, 'remote'));
    await tls.foreignFolder(join(certs, 'foreign'));
    [burner, idle, stopped] = await Promise.all([
      engine.containers.run('burn', ['sh', '-c', 'while :; do :; done'], ['--cpus', '0.5']),
      engine.containers.run('idle', ['sleep', '1d']),
      engine.containers.run('stopped', ['sleep', '1d']),
    ]);
    await engine.containers.stop(stopped);
    gateway = await bootGateway((c) => {
      c.engines = [
        { name: 'remote', url: tls.url },
        { name: 'foreign', url: tls.url },
        { name: 'sock', url: engine.socketUrl },
      ];
      c.engineCertsDir = certs;
    });
    const hosts = gateway.hosts;
    await waitUntil(
      () => hosts.find('remote', burner) && hosts.find('sock', burner) && hosts.get('foreign')?.containers.isSettled,
      20_000,
      "the second engine's containers on both of its hosts, and the foreign-CA host's first attempt",
    );
  });

  after(async () => {
    await gateway?.stop();
    if (certs) await rm(certs, { recursive: true, force: true });
  });

  test('GET /api/hosts lists every host: the engines up with their counts, the one with a foreign CA unavailable', async () => {
    const hosts = await hostsOf(gateway!);
    const local = gateway!.hosts.sources().find((s) => !REMOTE_HOSTS.includes(s.host))!.host;
    assert.deepEqual([...hosts.keys()].sort(), [...REMOTE_HOSTS, local].sort());
    assert.equal(hosts.get(local)!.state, 'up', JSON.stringify(hosts.get(local)));
    assert.ok(hosts.get(local)!.running <= hosts.get(local)!.containers);
    assert.ok(started.ok);
    const engine = started.value;
    for (const [name, endpoint] of [
      ['remote', engine.tls!.url],
      ['sock', engine.socketUrl],
    ] as const) {
      const host = hosts.get(name)!;
      assert.equal(host.state, 'up', JSON.stringify(host));
      assert.deepEqual([host.containers, host.running], [3, 2], `${name}: three containers, two running`);
      assert.deepEqual(host.engine, { status: 'up', endpoint });
    }
    const foreign = hosts.get('foreign')!;
    assert.equal(foreign.state, 'unavailable');
    assert.equal(foreign.engine.status, 'down');
    assert.equal(foreign.engine.endpoint, engine.tls!.url);
    assert.match(foreign.engine.error ?? '', /certificate could not be verified/, JSON.stringify(foreign));
  });

  test("the remote containers are listed under the engine's host names, over HTTP and in the containers message", async () => {
    const res = await httpGet(gateway!, '/api/containers');
    assert.equal(res.status, 200);
    const body: unknown = JSON.parse(res.body);
    const listed = (isObject(body) && Array.isArray(body['containers']) ? body['containers'] : []).map(parseContainerSummary);
    const where = (id: string): string[] =>
      listed
        .filter((c) => c?.id === id)
        .map((c) => c!.host)
        .sort();
    for (const id of [burner, idle, stopped]) assert.deepEqual(where(id), ['remote', 'sock'], id.slice(0, 12));

    const client = await TestClient.connect(gateway!.url);
    try {
      client.send({ type: 'subscribe', topics: ['containers'] });
      const msg = await client.waitFor(
        (m) => m.type === 'containers' && m.containers.some((c) => c.id === burner && c.host === 'remote'),
        10_000,
      );
      assert.ok(msg.type === 'containers');
      const burn = msg.containers.find((c) => c.id === burner && c.host === 'remote')!;
      assert.equal(burn.state, 'running');
      assert.match(burn.name, /burn$/);
      assert.equal(msg.containers.find((c) => c.id === stopped && c.host === 'sock')?.state, 'exited');
      assert.deepEqual(
        msg.hosts.filter((h) => REMOTE_HOSTS.includes(h.name)).map((h) => [h.name, h.state]),
        [
          ['foreign', 'unavailable'],
          ['remote', 'up'],
          ['sock', 'up'],
        ],
      );
    } finally {
      await client.close();
    }
  });

  test('a remote container capped at half a core reads 50 ± 10 % CPU through stats:<host>/<id>', async () => {
    const client = await TestClient.connect(gateway!.url);
    try {
      client.send({ type: 'subscribe', topics: [hostStatsTopic('remote', burner)] });
      const samples = await client.waitForSamples(burner, 7, 20_000);
      for (const s of samples) assert.equal(s.host, 'remote');
      const later = samples.slice(1).map((s) => s.cpu);
      for (const cpu of later) assert.ok(cpu !== null && Number.isFinite(cpu), `a sample after the first has cpu ${cpu}`);
      const mid = median(later as number[]);
      assert.ok(mid >= 40 && mid <= 60, `median CPU ${mid.toFixed(1)} % of ${JSON.stringify(later)} is not 50 ± 10 %`);
    } finally {
      await client.close();
    }
  });

  test('the engine reached over its unix socket gives samples too', async () => {
    const client = await TestClient.connect(gateway!.url);
    try {
      client.send({ type: 'subscribe', topics: [hostStatsTopic('sock', idle)] });
      const samples = await client.waitForSamples(idle, 2, 20_000);
      for (const s of samples) assert.equal(s.host, 'sock');
    } finally {
      await client.close();
    }
  });

  test('the host whose certificate does not verify stays unavailable while the others keep answering', async () => {
    // Long enough for several retries of the foreign-CA host.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const hosts = await hostsOf(gateway!);
    for (const [name, host] of hosts) {
      assert.equal(host.state, name === 'foreign' ? 'unavailable' : 'up', `${name}: ${JSON.stringify(host)}`);
    }
    assert.match(hosts.get('foreign')!.engine.error ?? '', /certificate could not be verified/);
    const client = await TestClient.connect(gateway!.url);
    try {
      await client.roundTrip();
    } finally {
      await client.close();
    }
  });
});

/**
 * An engine that accepts connections and never says anything (a hung daemon, a proxy whose backend is gone):
 * its host is reported down once it has not answered in time, rather than waited for forever, and the
 * connections given up on are closed, not left to pile up.
 */
describe('an engine that accepts the connection and never answers', () => {
  const held = new Set<Socket>();
  let mute: Server | undefined;
  let gateway: Gateway | undefined;

  before(async () => {
    mute = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => held.delete(socket));
    });
    await new Promise<void>((resolve) => mute!.listen(0, '127.0.0.1', resolve));
    const { port } = mute.address() as AddressInfo;
    gateway = await bootGateway((c) => {
      c.engines = [{ name: 'mute', url: `http://127.0.0.1:${port}` }];
    });
  });

  after(async () => {
    await gateway?.stop();
    for (const s of held) s.destroy();
    await new Promise<void>((resolve) => (mute ? mute.close(() => resolve()) : resolve()));
  });

  test('its host is unavailable, saying it did not answer, while the local engine is up', async () => {
    let hosts = new Map<string, HostInfo>();
    await waitUntil(
      async () => {
        hosts = await hostsOf(gateway!);
        return hosts.get('mute')?.state === 'unavailable' && /did not answer within/.test(hosts.get('mute')?.engine.error ?? '');
      },
      30_000,
      'the mute engine reported unavailable',
    );
    for (const [name, host] of hosts) if (name !== 'mute') assert.equal(host.state, 'up', `${name}: ${JSON.stringify(host)}`);
    assert.ok(held.size <= 2, `${held.size} connections to the mute engine still open: the ones given up on were not closed`);
  });
});
