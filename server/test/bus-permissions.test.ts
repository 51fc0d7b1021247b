/**
 * The nats-server configuration that docs/multi-host.md shows (docs/examples/nats/), run as it is written, with
 * only its port, its store, and the passwords or keys given: a real agent and a real gateway under the restricted
 * users, an agent that claims a host its user may not publish, an agent with a wrong password, a gateway under an
 * agent's user, and a gateway that tries to publish a host's samples; and the hand-made publisher of docs/bus.md.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { createUser } from '@nats-io/nkeys';
import { hostStatsTopic, type HostInfo } from '@dockpulse/shared';
import { natsSettings, type Config, type NatsConfig } from '../src/config.js';
import type { Gateway } from '../src/main.js';
import { TestContainers, ensureTestImage } from './helpers/docker.js';
import { bootGateway } from './helpers/gateway.js';
import { AgentProcess } from './helpers/agent-process.js';
import { TestNats, type NatsPlace } from './helpers/nats.js';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';
import { postJson, raw } from './helpers/raw-http.js';
import { createLogger } from '../src/log.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EXAMPLES = join(ROOT, 'docs', 'examples');
const HEARTBEAT_MS = 500;

/** The documented configuration files, as they are in the repository. */
async function documented(): Promise<Record<'permissions.conf' | 'users.conf' | 'nkeys.conf', string>> {
  const read = (name: string): Promise<string> => readFile(join(EXAMPLES, 'nats', name), 'utf8');
  return {
    'permissions.conf': await read('permissions.conf'),
    'users.conf': await read('users.conf'),
    'nkeys.conf': await read('nkeys.conf'),
  };
}

/** A server configuration of the docs with the test's port and store in place of the documented ones. */
function placed(text: string, place: NatsPlace): string {
  const out = text
    .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${place.port}`)
    .replace('"/var/lib/nats/jetstream"', `"${place.storeDir}"`);
  assert.ok(out.includes(`127.0.0.1:${place.port}`) && out.includes(place.storeDir), 'the documented listen address and store changed');
  return out;
}

/** A gateway of the bus, connected as the documented gateway user; what it logs goes to `lines`. */
function bootBusGateway(nats: TestNats, auth: Partial<NatsConfig>, lines: string[]): Promise<Gateway> {
  return bootGateway(
    (c: Config) => {
      c.nats = natsSettings([nats.url], auth);
      c.localEngine = false;
      c.record = 'all';
      c.shareSecret = randomBytes(32).toString('hex');
      c.hostName = 'gateway';
    },
    undefined,
    createLogger('debug', (line) => lines.push(line)),
  );
}

async function hostState(g: Gateway, name: string): Promise<HostInfo | undefined> {
  const res = await raw(g.url, 'GET', '/api/hosts');
  return (JSON.parse(res.body) as { hosts: HostInfo[] }).hosts.find((h) => h.name === name);
}

/** Subscribes to a container of `host` on the gateway and waits for `count` samples of it. */
async function samplesServed(g: Gateway, host: string, id: string, count: number): Promise<void> {
  await waitUntil(() => g.hosts.find(host, id) !== undefined, 20_000, `container ${id.slice(0, 12)} of ${host} on the gateway`);
  const client = await TestClient.connect(g.url);
  try {
    client.send({ type: 'subscribe', topics: [hostStatsTopic(host, id)] });
    const samples = await client.waitForSamples(id, count, 30_000);
    for (const s of samples) assert.equal(s.host, host);
  } finally {
    await client.close();
  }
}

/** passwords.conf as docs/multi-host.md has it made: one `NAME = "…"` line per user. */
function passwordsFile(passwords: Record<string, string>): string {
  return Object.entries(passwords)
    .map(([name, value]) => `${name} = "${value}"\n`)
    .join('');
}

/** Waits until `what` shows in `output()`; on a timeout, says what was there instead. */
async function logs(output: () => string, what: RegExp, timeoutMs = 20_000): Promise<void> {
  try {
    await waitUntil(() => what.test(output()), timeoutMs, `${what} in the log`);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; it says: ${output().slice(-3000)}`, { cause: e });
  }
}

function agentEnv(nats: TestNats, env: Record<string, string>): Record<string, string> {
  return { DOCKPULSE_NATS_URL: nats.url, DOCKPULSE_AGENT_HEARTBEAT_MS: String(HEARTBEAT_MS), ...env };
}

test('docs/multi-host.md shows the configuration files these tests run, word for word', async () => {
  const doc = await readFile(join(ROOT, 'docs', 'multi-host.md'), 'utf8');
  for (const [name, text] of Object.entries(await documented())) {
    assert.ok(doc.includes(text.trimEnd()), `docs/multi-host.md does not show docs/examples/nats/${name} as it is`);
  }
});

test('docs/bus.md shows the publisher these tests run, word for word', async () => {
  const doc = await readFile(join(ROOT, 'docs', 'bus.md'), 'utf8');
  const publisher = await readFile(join(EXAMPLES, 'publish-host.mjs'), 'utf8');
  assert.ok(doc.includes(publisher.trimEnd()), 'docs/bus.md does not show docs/examples/publish-host.mjs as it is');
});

describe('the documented permissions, users with passwords', { concurrency: false }, () => {
  const containers = new TestContainers();
  const passwords = {
    AGENT_H1_PASSWORD: randomBytes(12).toString('hex'),
    AGENT_H2_PASSWORD: randomBytes(12).toString('hex'),
    GATEWAY_PASSWORD: randomBytes(12).toString('hex'),
  };
  let files: Awaited<ReturnType<typeof documented>>;
  let nats: TestNats;
  let gateway: Gateway | undefined;
  const gatewayLog: string[] = [];
  let agent: AgentProcess | undefined;
  let sleeper = '';

  before(async () => {
    await ensureTestImage();
    files = await documented();
    sleeper = await containers.run('sleeper', ['sleep', '3600']);
    nats = await TestNats.start({
      files: (p) => ({
        'nats.conf': placed(files['users.conf'], p),
        'permissions.conf': files['permissions.conf'],
        'passwords.conf': passwordsFile(passwords),
      }),
    });
    gateway = await bootBusGateway(nats, { user: 'gateway', password: passwords.GATEWAY_PASSWORD }, gatewayLog);
    agent = new AgentProcess(
      'h1',
      agentEnv(nats, { DOCKPULSE_NATS_USER: 'agent-h1', DOCKPULSE_NATS_PASSWORD: passwords.AGENT_H1_PASSWORD }),
    );
    await agent.ready();
  });

  after(async () => {
    await Promise.all([gateway?.stop(), agent?.stop()]);
    await nats?.stop();
    await containers.removeAll();
  });

  test('the gateway lists the agent host, serves its samples and keeps a share link in the bucket', async () => {
    await waitUntil(async () => (await hostState(gateway!, 'h1'))?.state === 'up', 30_000, 'h1 up on the gateway');
    await samplesServed(gateway!, 'h1', sleeper, 3);
    const made = await postJson(gateway!.url, '/api/shares', { container: sleeper, host: 'h1', ttlSeconds: 600 }, { Origin: gateway!.url });
    assert.equal(made.status, 201, made.body);
    assert.doesNotMatch(agent!.output, /Permissions Violation/, 'the agent needed a permission it was not given');
    assert.doesNotMatch(gatewayLog.join(''), /Permissions Violation/, 'the gateway needed a permission it was not given');
  });

  test('an agent whose user may publish only h1 but that calls itself h2 is refused by the server', async () => {
    const impostor = new AgentProcess(
      'h2',
      agentEnv(nats, { DOCKPULSE_NATS_USER: 'agent-h1', DOCKPULSE_NATS_PASSWORD: passwords.AGENT_H1_PASSWORD }),
    );
    try {
      await impostor.ready();
      await logs(() => impostor.output, /Permissions Violation for Publish to \\"dockpulse\.host\.h2\.heartbeat/);
      // Long enough for a record, heartbeats and samples to have reached the gateway, had the server let them through.
      await new Promise((r) => setTimeout(r, 4 * HEARTBEAT_MS + 1000));
      assert.equal(await hostState(gateway!, 'h2'), undefined, 'h2 appeared on the gateway');
      assert.equal(impostor.running, true);
      // Refused at every heartbeat, and said once.
      const warnings = impostor.output
        .split('\n')
        .filter((l) => l.includes('"level":"warn"') && l.includes('Publish to \\"dockpulse.host.h2.heartbeat\\"'));
      assert.equal(warnings.length, 1, impostor.output);
      assert.doesNotMatch(impostor.output, /stopped answering pings/);
    } finally {
      await impostor.stop();
    }
  });

  test('an agent with a wrong password says so and keeps trying; once the server takes its password, its host appears', async () => {
    const password = randomBytes(12).toString('hex');
    const h2 = new AgentProcess(
      'h2',
      agentEnv(nats, { DOCKPULSE_NATS_USER: 'agent-h2', DOCKPULSE_NATS_PASSWORD: password, DOCKPULSE_LOG_LEVEL: 'debug' }),
    );
    try {
      await h2.ready();
      await logs(() => h2.output, /"NATS connection failed".*Authorization Violation/);
      assert.match(h2.output, /check the NATS credentials/);
      // Retried, and still running.
      await waitUntil(() => (h2.output.match(/"NATS connection still failing"/g)?.length ?? 0) >= 2, 20_000, 'two retries');
      assert.equal(h2.running, true);
      assert.equal(await hostState(gateway!, 'h2'), undefined);
      // The operator gives the server the agent's password and reloads it.
      passwords.AGENT_H2_PASSWORD = password;
      await nats.reload('passwords.conf', passwordsFile(passwords));
      await waitUntil(async () => (await hostState(gateway!, 'h2'))?.state === 'up', 30_000, 'h2 up on the gateway');
      assert.match(h2.output, /"NATS connection recovered"/);
      // The reload dropped nobody who was connected.
      assert.doesNotMatch(agent!.output, /NATS connection failed/);
      assert.doesNotMatch(gatewayLog.join(''), /NATS connection failed/);
      await samplesServed(gateway!, 'h2', sleeper, 2);
    } finally {
      await h2.stop();
    }
  });

  test("a gateway given an agent's user says what the server refuses it, and tries again less and less often", async () => {
    const lines: string[] = [];
    const log = (): string => lines.join('');
    const started = Date.now();
    const misled = await bootBusGateway(nats, { user: 'agent-h1', password: passwords.AGENT_H1_PASSWORD }, lines);
    try {
      // Refused as it sets up: its subscription to the hosts' heartbeats, and the inbox its requests need.
      await logs(log, /Permissions Violation for Subscription to \\"dockpulse\.host\.\*\.heartbeat\\"/);
      await logs(log, /"NATS connection failed".*Permissions Violation for Subscription to \\"_INBOX\.gateway\./);
      assert.equal((JSON.parse((await raw(misled.url, 'GET', '/healthz')).body) as { bus: string }).bus, 'down');
      // Each try is a new connection and a refusal: a quarter of a second after the first, doubling up to five.
      await new Promise((r) => setTimeout(r, 2000));
      const tries = lines.filter((l) => /"NATS connection (failed|still failing)"/.test(l)).length;
      const seconds = (Date.now() - started) / 1000;
      assert.ok(tries >= 2 && tries <= 5 + seconds / 2.5, `${tries} tries in ${seconds.toFixed(1)} s`);
    } finally {
      await misled.stop();
    }
  });

  test("the gateway's user may not publish on a host's samples subject", async () => {
    const nc = await connect({ servers: nats.url, user: 'gateway', pass: passwords.GATEWAY_PASSWORD, inboxPrefix: '_INBOX.gateway' });
    try {
      const refused = (async () => {
        for await (const s of nc.status()) if (s.type === 'error') return s.error.message;
        return undefined;
      })();
      nc.publish('dockpulse.host.h1.samples', JSON.stringify({ v: 1, agent: 'not-an-agent', t: Date.now(), samples: [] }));
      assert.match((await refused) ?? '', /Permissions Violation for Publish to "dockpulse\.host\.h1\.samples"/);
    } finally {
      await nc.close();
    }
  });

  test('the hand-made publisher of docs/bus.md, as an agent user, is served like an agent', async () => {
    // h2's agent of the test before is gone: once it is silent, another agent is its successor.
    await waitUntil(async () => (await hostState(gateway!, 'h2'))?.state === 'unavailable', 20_000, 'h2 unavailable');
    const child = spawn(process.execPath, [join(EXAMPLES, 'publish-host.mjs'), 'h2'], {
      cwd: ROOT,
      env: { ...process.env, NATS_URL: nats.url, NATS_USER: 'agent-h2', NATS_PASSWORD: passwords.AGENT_H2_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(child);
    try {
      await logs(output, /record stored/);
      const made = await waitUntil(
        () => gateway!.hosts.all().find((c) => c.host === 'h2' && c.name === 'hand-made'),
        20_000,
        'the hand-made container on the gateway',
      );
      assert.equal((await hostState(gateway!, 'h2'))?.state, 'up');
      await samplesServed(gateway!, 'h2', made.id, 2);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    }
  });
});

describe('the documented permissions, users with NKEYs', { concurrency: false }, () => {
  const containers = new TestContainers();
  let dir = '';
  let nats: TestNats;
  let gateway: Gateway | undefined;
  const gatewayLog: string[] = [];
  let agent: AgentProcess | undefined;
  let sleeper = '';

  before(async () => {
    await ensureTestImage();
    const files = await documented();
    dir = await mkdtemp(join(tmpdir(), 'dockpulse-nkeys-'));
    // A key for each user of the file, in place of the example ones: the seeds to files, as nkey.mjs writes them.
    const keys = new Map<string, ReturnType<typeof createUser>>();
    const nkeys = files['nkeys.conf'].replace(/^(\w+)_NKEY = "U[A-Z0-9]+"$/gm, (_line, user: string) => {
      const kp = createUser();
      keys.set(user, kp);
      return `${user}_NKEY = "${kp.getPublicKey()}"`;
    });
    assert.deepEqual([...keys.keys()].sort(), ['AGENT_H1', 'AGENT_H2', 'GATEWAY']);
    const seeds: Record<string, string> = {};
    for (const [user, kp] of keys) {
      seeds[user] = join(dir, `${user}.nk`);
      await writeFile(seeds[user], `${new TextDecoder().decode(kp.getSeed())}\n`, { mode: 0o600 });
    }
    sleeper = await containers.run('sleeper', ['sleep', '3600']);
    nats = await TestNats.start({ files: (p) => ({ 'nats.conf': placed(nkeys, p), 'permissions.conf': files['permissions.conf'] }) });
    gateway = await bootBusGateway(nats, { nkeyFile: seeds['GATEWAY']! }, gatewayLog);
    agent = new AgentProcess('h1', agentEnv(nats, { DOCKPULSE_NATS_NKEY: seeds['AGENT_H1']! }));
    await agent.ready();
  });

  after(async () => {
    await Promise.all([gateway?.stop(), agent?.stop()]);
    await nats?.stop();
    await containers.removeAll();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the gateway lists the agent host and serves its samples', async () => {
    await waitUntil(async () => (await hostState(gateway!, 'h1'))?.state === 'up', 30_000, 'h1 up on the gateway');
    await samplesServed(gateway!, 'h1', sleeper, 3);
    assert.doesNotMatch(agent!.output, /Permissions Violation/, 'the agent needed a permission it was not given');
    assert.doesNotMatch(gatewayLog.join(''), /Permissions Violation/, 'the gateway needed a permission it was not given');
  });

  test('the bus goes away: the gateway says so in /healthz and its host turns unavailable; both come back by themselves', async () => {
    const health = async (): Promise<{ bus: string; docker: string }> =>
      JSON.parse((await raw(gateway!.url, 'GET', '/healthz')).body) as { bus: string; docker: string };
    await nats.kill9();
    await waitUntil(async () => (await health()).bus === 'down', 20_000, 'bus down in /healthz');
    await waitUntil(async () => (await hostState(gateway!, 'h1'))?.state === 'unavailable', 20_000, 'h1 unavailable');
    assert.equal((await health()).docker, 'down');
    assert.equal(agent!.running, true);
    await nats.restart();
    await waitUntil(async () => (await health()).bus === 'up', 30_000, 'bus up in /healthz');
    await waitUntil(async () => (await hostState(gateway!, 'h1'))?.state === 'up', 30_000, 'h1 up again');
    await logs(() => agent!.output, /"NATS connection recovered"/);
    await samplesServed(gateway!, 'h1', sleeper, 2);
  });
});

/** Everything a child process prints, for failure messages. */
function collect(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (text += c.toString()));
  return () => text.slice(-2000);
}
