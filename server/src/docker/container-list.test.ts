import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerSummary, HealthStatus } from '@dockpulse/shared';
import { silentLogger } from '../log.js';
import { ContainerList } from './container-list.js';
import type { Engine } from './engine.js';
import type { LifecycleEvent } from '../source/source.js';

const ENDPOINT = 'unix:///run/fake-docker.sock';

/** A full container id: one hex digit, 64 times. */
const idOf = (digit: string): string => digit.repeat(64);

/** One entry of `GET /containers/json` as the engine writes it, with what dockpulse must not pass on. */
function entry(id: string, name: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: id,
    Names: [`/${name}`],
    Image: 'local/busybox:latest',
    ImageID: 'sha256:5b0d59026729b68570d99bc4f3f7c31a2e4f2a5736435641565d93e7c25bd2c3',
    Command: 'sh -c "echo $DB_PASSWORD"',
    Created: 1_795_789_300,
    State: 'running',
    Status: 'Up 5 minutes',
    Ports: [{ PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
    Labels: { 'com.example.secret': 'hunter2' },
    HostConfig: { NetworkMode: 'default' },
    NetworkSettings: { Networks: { bridge: { IPAddress: '172.17.0.2' } } },
    Mounts: [{ Type: 'bind', Source: '/etc/secrets', Destination: '/run/secrets' }],
    ...more,
  };
}

/** `listContainers` options, as far as the list passes them. */
interface ListOptions {
  all?: boolean;
  filters?: { id?: string[] };
  abortSignal?: AbortSignal;
}

/**
 * The three dockerode calls the list makes (`getEvents`, `listContainers`, `ping`), over containers and events
 * the test sets, with an engine that can go down and come back.
 */
class FakeEngine {
  /** What `GET /containers/json` answers now. */
  containers: Record<string, unknown>[] = [];
  /** Every `listContainers` call, in order. */
  readonly lists: ListOptions[] = [];
  /** While set, every call fails with it. */
  private down: Error | undefined;
  /** While set, `listContainers` answers only once it resolves (with what it held when called). */
  private gate: Promise<void> | undefined;
  private events: PassThrough | undefined;

  getEvents = (): Promise<PassThrough> => {
    if (this.down) return Promise.reject(this.down);
    this.events = new PassThrough();
    return Promise.resolve(this.events);
  };

  listContainers = async (options: ListOptions): Promise<unknown[]> => {
    // Every call is bounded in time; what it asks is what the tests compare.
    assert.ok(options.abortSignal instanceof AbortSignal, 'listContainers is called with an abort signal');
    const { abortSignal: _, ...asked } = options;
    this.lists.push(asked);
    if (this.down) throw this.down;
    // As the engine does: an id filter matches any id that starts with it.
    const ids = options.filters?.id;
    const answer = this.containers.filter((c) => ids === undefined || ids.some((id) => String(c['Id']).startsWith(id)));
    await this.gate;
    return answer;
  };

  ping = (): Promise<string> => (this.down ? Promise.reject(this.down) : Promise.resolve('OK'));

  /** Holds the answers of `listContainers` until the returned function is called. */
  holdLists(): () => void {
    let release = (): void => {};
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = undefined;
      release();
    };
  }

  /** Sends one event on the open events stream, as a line of JSON. */
  event(e: Record<string, unknown>): void {
    assert.ok(this.events, 'no events stream is open');
    this.events.write(`${JSON.stringify(e)}\n`);
  }

  /** The events stream ends without an error, as when the engine closes it. */
  endEvents(): void {
    this.events?.end();
  }

  /** The engine goes away: the open events stream fails with `error`, and so does every call until `up`. */
  goDown(error: Error, how: 'stream fails' | 'stream ends'): void {
    this.down = error;
    if (how === 'stream fails') this.events?.destroy(error);
    else this.events?.end();
  }

  up(): void {
    this.down = undefined;
  }

  get engine(): Engine {
    // The list reaches dockerode only through the three calls above.
    return { docker: this as unknown as Docker, endpoint: ENDPOINT };
  }
}

/** An event in the shape the engine sends since API 1.22. */
const event = (action: string, id: string): Record<string, unknown> => ({
  Type: 'container',
  Action: action,
  Actor: { ID: id, Attributes: { name: 'x' } },
});

/** Runs a list on `fake` for the length of `body`, retrying at once after a failure. */
async function withList(fake: FakeEngine, body: (list: ContainerList) => Promise<void>): Promise<void> {
  const list = new ContainerList('h1', fake.engine, silentLogger, { baseMs: 1, capMs: 5 });
  const stop = new AbortController();
  const running = list.run(stop.signal);
  try {
    await body(list);
  } finally {
    stop.abort();
    await running;
  }
}

/** Waits, change by change, until `check` holds; fails after two seconds. */
async function until(list: ContainerList, check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  const never = new AbortController().signal;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await list.waitForChange(20, never);
  }
}

const ids = (list: ContainerList): string[] => list.all().map((c) => c.id);

test('events that arrive before the first list are applied after it', async () => {
  const fake = new FakeEngine();
  const [a, b] = [idOf('a'), idOf('b')];
  fake.containers = [entry(a, 'old')];
  const release = fake.holdLists();
  await withList(fake, async (list) => {
    await until(list, () => fake.lists.length === 1, 'the first list request');
    // While the engine answers with a list that still has `a`: `a` is removed and `b` created.
    fake.containers = [entry(b, 'new')];
    fake.event(event('destroy', a));
    fake.event(event('create', b));
    release();
    await until(list, () => list.isReady && list.get(b) !== undefined, 'b to be looked up');
    assert.deepEqual(ids(list), [b]);
    assert.deepEqual(fake.lists.at(-1), { all: true, filters: { id: [b] } });
  });
});

for (const [engine, gone] of [
  ['Docker', event('destroy', idOf('a'))],
  ['Podman', event('remove', idOf('a'))],
  ['Docker before API 1.22', { status: 'destroy', id: idOf('a') }],
] as const) {
  test(`a container is removed from the list when ${engine} says it is gone, without asking the engine`, async () => {
    const fake = new FakeEngine();
    fake.containers = [entry(idOf('a'), 'a'), entry(idOf('b'), 'b')];
    await withList(fake, async (list) => {
      await until(list, () => list.isReady, 'the first list');
      fake.event(gone);
      await until(list, () => list.get(idOf('a')) === undefined, 'a to be removed');
      assert.deepEqual(ids(list), [idOf('b')]);
      assert.equal(fake.lists.length, 1);
    });
  });
}

test('a burst of events is looked up in one listContainers call with an id filter; other events are ignored', async () => {
  const fake = new FakeEngine();
  const [a, b, c, d] = [idOf('a'), idOf('b'), idOf('c'), idOf('d')];
  fake.containers = [entry(c, 'c'), entry(d, 'd')];
  await withList(fake, async (list) => {
    await until(list, () => list.isReady, 'the first list');
    fake.containers = [entry(a, 'a'), entry(b, 'b'), entry(c, 'c', { State: 'exited', Status: 'Exited (0) 1 second ago' }), entry(d, 'd')];
    // `exec_*`, `attach`, `top` and the like change nothing the list shows.
    for (const e of [
      event('create', a),
      event('exec_start: sh', d),
      event('start', a),
      event('create', b),
      event('start', b),
      event('die', c),
    ]) {
      fake.event(e);
    }
    await until(list, () => list.all().length === 4 && list.get(c)?.state === 'exited', 'a, b and the exited c');
    assert.deepEqual(fake.lists.slice(1), [{ all: true, filters: { id: [a, b, c] } }]);
  });
});

test('an id filter also matches longer ids: only the container asked about changes', async () => {
  const fake = new FakeEngine();
  // An engine that names a container by a short id in its events; another container's id starts with it.
  const short = '0123456789ab';
  const longer = short + 'f'.repeat(52);
  fake.containers = [entry(longer, 'longer')];
  await withList(fake, async (list) => {
    await until(list, () => list.isReady, 'the first list');
    const before = list.get(longer);
    fake.containers = [entry(longer, 'longer', { State: 'exited', Status: 'Exited (1) 1 second ago' })];
    fake.event(event('die', short));
    await until(list, () => fake.lists.length === 2, 'the lookup');
    await list.waitForChange(50, new AbortController().signal);
    assert.deepEqual(fake.lists[1], { all: true, filters: { id: [short] } });
    assert.deepEqual(ids(list), [longer], 'nothing added for the short id, nothing removed');
    assert.deepEqual(list.get(longer), before, 'the longer one is not changed by an event about another');
  });
});

for (const how of ['stream fails', 'stream ends'] as const) {
  test(`the engine going away (its events ${how}): down with the error, then up and listed again`, async () => {
    const fake = new FakeEngine();
    fake.containers = [entry(idOf('a'), 'a'), entry(idOf('b'), 'b')];
    await withList(fake, async (list) => {
      await until(list, () => list.isReady, 'the first list');
      const statuses: string[] = [];
      list.onChange(() => statuses.push(list.engineStatus.status));
      fake.goDown(new Error('connect ECONNREFUSED /run/fake-docker.sock'), how);
      await until(list, () => list.engineStatus.status === 'down', 'down');
      assert.deepEqual(list.engineStatus, {
        status: 'down',
        endpoint: ENDPOINT,
        error: 'connect ECONNREFUSED /run/fake-docker.sock (is the Docker engine running? is DOCKER_HOST right?)',
      });
      // What changed while it was away shows once it is back.
      fake.containers = [entry(idOf('b'), 'b')];
      fake.up();
      await until(list, () => list.engineStatus.status === 'up', 'up again');
      assert.deepEqual(list.engineStatus, { status: 'up', endpoint: ENDPOINT });
      assert.deepEqual(ids(list), [idOf('b')]);
      assert.equal(statuses[0], 'down');
      assert.equal(statuses.at(-1), 'up');
    });
  });
}

test('an events stream that ends while the engine still answers is opened again, without a down', async () => {
  const fake = new FakeEngine();
  fake.containers = [entry(idOf('a'), 'a')];
  await withList(fake, async (list) => {
    await until(list, () => list.isReady, 'the first list');
    const statuses: string[] = [];
    list.onChange(() => statuses.push(list.engineStatus.status));
    fake.endEvents();
    await until(list, () => fake.lists.length === 2, 'the list read again');
    await until(list, () => statuses.length > 0, 'the relist');
    assert.deepEqual(statuses, ['up']);
  });
});

test('an engine that is down at start: settled and down with the error, ready once it answers', async () => {
  const fake = new FakeEngine();
  fake.goDown(new Error('connect EACCES /run/fake-docker.sock'), 'stream fails');
  await withList(fake, async (list) => {
    await until(list, () => list.isSettled, 'the first attempt');
    assert.equal(list.isReady, false);
    assert.equal(list.engineStatus.status, 'down');
    assert.match(list.engineStatus.error ?? '', /EACCES .*permission denied: run as root or add the user to the docker group/);
    fake.containers = [entry(idOf('a'), 'a')];
    fake.up();
    await until(list, () => list.isReady, 'the first list');
    assert.deepEqual(ids(list), [idOf('a')]);
  });
});

for (const [status, health] of [
  ['Up 5 minutes (healthy)', 'healthy'],
  ['Up 5 minutes (unhealthy)', 'unhealthy'],
  ['Up 3 seconds (health: starting)', 'starting'],
  ['Up 5 minutes', undefined],
  ['Exited (0) 2 minutes ago', undefined],
] as const satisfies readonly (readonly [string, HealthStatus | undefined])[]) {
  test(`health from the status text: ${status}`, async () => {
    const fake = new FakeEngine();
    fake.containers = [entry(idOf('a'), 'a', { Status: status })];
    await withList(fake, async (list) => {
      await until(list, () => list.isReady, 'the first list');
      assert.equal(list.get(idOf('a'))?.health, health);
      assert.equal(list.get(idOf('a'))?.status, status);
    });
  });
}

test('a health_status event looks the container up again', async () => {
  const fake = new FakeEngine();
  fake.containers = [entry(idOf('a'), 'a', { Status: 'Up 3 seconds (health: starting)' })];
  await withList(fake, async (list) => {
    await until(list, () => list.isReady, 'the first list');
    fake.containers = [entry(idOf('a'), 'a', { Status: 'Up 33 seconds (healthy)' })];
    fake.event(event('health_status: healthy', idOf('a')));
    await until(list, () => list.get(idOf('a'))?.health === 'healthy', 'healthy');
  });
});

test('engine events are passed on as lifecycle events, with the exit code and health but none of the labels', async () => {
  const fake = new FakeEngine();
  const a = idOf('a');
  fake.containers = [entry(a, 'a')];
  await withList(fake, async (list) => {
    const heard: LifecycleEvent[] = [];
    list.onLifecycle((e) => heard.push(e));
    await until(list, () => list.isReady, 'the first list');
    const labelled = (action: string, attributes: Record<string, string>) => ({
      Type: 'container',
      Action: action,
      timeNano: 1_795_789_300_123 * 1e6 + 456_789,
      Actor: { ID: a, Attributes: { name: 'web', 'com.example.secret': 'hunter2', ...attributes } },
    });
    fake.event(labelled('die', { exitCode: '137' }));
    fake.event(labelled('health_status: unhealthy', {}));
    fake.event(labelled('exec_start: sh', {}));
    fake.event(labelled('oom', {}));
    fake.event(labelled('remove', {}));
    await waitFor(() => heard.length >= 4, 'four lifecycle events');
    assert.deepEqual(heard, [
      { id: a, name: 'web', action: 'die', t: 1_795_789_300_123, exitCode: 137 },
      { id: a, name: 'web', action: 'health', t: 1_795_789_300_123, health: 'unhealthy' },
      { id: a, name: 'web', action: 'oom', t: 1_795_789_300_123 },
      { id: a, name: 'web', action: 'destroy', t: 1_795_789_300_123 },
    ]);
    assert.doesNotMatch(JSON.stringify(heard), /hunter2/);
  });
});

/** Waits for a condition that callbacks make true; fails after two seconds. */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** All that may be shown of `entry(id, 'web-1', …compose labels)`: no command, mounts, ports or other labels. */
const SUMMARY = (id: string): ContainerSummary => ({
  host: 'h1',
  id,
  name: 'web-1',
  image: 'local/busybox:latest',
  state: 'running',
  status: 'Up 5 minutes',
  createdAt: 1_795_789_300_000,
  compose: { project: 'shop', service: 'web' },
});

const COMPOSE_LABELS = {
  Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web', 'com.example.secret': 'hunter2' },
};

test('nothing beyond the summary fields is kept, from the first list or from a lookup after an event', async () => {
  const fake = new FakeEngine();
  const [a, b] = [idOf('a'), idOf('b')];
  fake.containers = [entry(a, 'web-1', COMPOSE_LABELS)];
  await withList(fake, async (list) => {
    await until(list, () => list.isReady, 'the first list');
    fake.containers.push(entry(b, 'web-1', COMPOSE_LABELS));
    fake.event(event('start', b));
    await until(list, () => list.get(b) !== undefined, 'b');
    assert.deepEqual(list.get(a), SUMMARY(a));
    assert.deepEqual(list.get(b), SUMMARY(b));
  });
});
