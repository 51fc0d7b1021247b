import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary, Sample, TopicState } from '@dockpulse/shared';
import { BusHost } from './bus-host.js';
import type { HeartbeatMessage, HostRecord } from './messages.js';

const ID = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const EVERY = 1000;
const container = (id: string, state: ContainerSummary['state'] = 'running'): ContainerSummary => ({
  host: 'h1',
  id,
  name: id.slice(0, 4),
  image: 'i',
  state,
  status: '',
  createdAt: 0,
});
const record = (agent: string, containers: ContainerSummary[] = [container(ID)]): HostRecord => ({
  v: 1,
  agent,
  t: 0,
  startedAt: 0,
  everyMs: EVERY,
  engine: { status: 'up', endpoint: 'unix:///var/run/docker.sock' },
  containers,
});
const beat = (agent: string): HeartbeatMessage => ({
  v: 1,
  agent,
  t: 0,
  startedAt: 0,
  everyMs: EVERY,
  engine: { status: 'up', endpoint: 'unix:///var/run/docker.sock' },
  containers: 1,
  running: 1,
  server: 'dockpulse/test',
});
const sample = (id: string, t: number): Sample => ({
  host: 'h1',
  id,
  t,
  cpu: 1,
  mem: { used: 1, limit: 2, percent: 50 },
  net: { rx: 0, tx: 0, rxRate: null, txRate: null },
  blk: { read: 0, write: 0, readRate: null, writeRate: null },
  pids: 1,
});

function rig() {
  const clock = { now: 100_000 };
  const host = new BusHost('h1', record('agent-one-0001'), 'agent via nats://x', () => clock.now);
  const states: TopicState[] = [];
  const samples: number[] = [];
  host.watch(ID, { sample: (s) => samples.push(s.t), state: (s) => states.push(s) }, new AbortController().signal);
  return { clock, host, states, samples };
}

test('undecided until its agent is heard, up while it beats, unavailable after three missed heartbeats, and back', () => {
  const { clock, host, states } = rig();
  assert.equal(host.isSettled, false, 'a host just read from its record is not yet known to be alive');
  assert.deepEqual(states, []);
  host.applyHeartbeat(beat('agent-one-0001'));
  assert.deepEqual(states, ['running']);
  const heard = clock.now;
  assert.equal(host.nextCheckAt, heard + 3 * EVERY + 1, 'the first moment it could be found silent');
  clock.now += 3 * EVERY;
  host.checkLiveness();
  assert.equal(host.engineStatus.status, 'up', 'three intervals is not yet three missed');
  clock.now += 1;
  host.checkLiveness();
  assert.equal(host.engineStatus.status, 'down');
  assert.match(host.engineStatus.error ?? '', /no heartbeat from the host's agent since/);
  assert.deepEqual(states, ['running', 'unavailable']);
  assert.equal(host.all().length, 1, 'its containers are kept');
  assert.equal(host.nextCheckAt, Infinity, 'a silent host changes only when a message comes');
  host.applyHeartbeat(beat('agent-one-0001'));
  assert.deepEqual(states, ['running', 'unavailable', 'running']);
  assert.equal(host.nextCheckAt, clock.now + 3 * EVERY + 1, 'back, it may go silent again');
});

test('a host never heard from is unavailable once its agent has had time to speak', () => {
  const { clock, host, states } = rig();
  assert.equal(host.nextCheckAt, clock.now + 3 * EVERY + 1);
  clock.now += 3 * EVERY + 1;
  host.checkLiveness();
  assert.equal(host.isSettled, true);
  assert.deepEqual(states, ['unavailable']);
});

test('live samples of listed containers reach their watches; others are counted as ignored', () => {
  const { host, samples } = rig();
  const r = host.applySamples({ v: 1, agent: 'agent-one-0001', t: 0, samples: [sample(ID, 1), sample(OTHER, 1), sample(ID, 2)] }, true);
  assert.deepEqual(samples, [1, 2]);
  assert.deepEqual(r, { ignored: 1, why: 'unknown-container' });
});

test('each watch of a container gets its samples, and a watch that ended gets none', () => {
  const { host, samples } = rig();
  const second: number[] = [];
  const other: number[] = [];
  const ended = new AbortController();
  host.applyRecord(record('agent-one-0001', [container(ID), container(OTHER)]));
  host.watch(ID, { sample: (s) => second.push(s.t), state: () => {} }, ended.signal);
  host.watch(OTHER, { sample: (s) => other.push(s.t), state: () => {} }, new AbortController().signal);
  host.applySamples({ v: 1, agent: 'agent-one-0001', t: 0, samples: [sample(ID, 1), sample(OTHER, 2)] }, true);
  ended.abort();
  host.applySamples({ v: 1, agent: 'agent-one-0001', t: 0, samples: [sample(ID, 3), sample(OTHER, 4)] }, true);
  assert.deepEqual(samples, [1, 3]);
  assert.deepEqual(second, [1]);
  assert.deepEqual(other, [2, 4]);
  assert.deepEqual(host.streams, { open: 2, opened: 3 });
});

test('the end of each samples message is told, so that its samples leave at once', () => {
  const { host, samples } = rig();
  const ends: number[] = [];
  const off = host.onBatchEnd(() => ends.push(samples.length));
  host.applySamples({ v: 1, agent: 'agent-one-0001', t: 0, samples: [sample(ID, 1)] }, true);
  host.applySamples({ v: 1, agent: 'agent-one-0001', t: 0, samples: [sample(ID, 2)] }, false);
  off();
  host.applySamples({ v: 1, agent: 'agent-one-0001', t: 0, samples: [sample(ID, 3)] }, true);
  assert.deepEqual(ends, [1, 2], 'after its samples were handed out');
});

test('a record put again unchanged is no news; a changed list or engine is', () => {
  const { host } = rig();
  let changes = 0;
  host.onChange(() => changes++);
  host.applyHeartbeat(beat('agent-one-0001'));
  changes = 0;
  host.applyRecord(record('agent-one-0001'));
  assert.equal(changes, 0, 'the same list and engine, put again');
  host.applyRecord(record('agent-one-0001', [container(ID), container(OTHER)]));
  assert.equal(changes, 1);
  assert.equal(host.all().length, 2);
  host.applyRecord({
    ...record('agent-one-0001', [container(ID), container(OTHER)]),
    engine: { status: 'down', endpoint: 'x', error: 'gone' },
  });
  assert.equal(changes, 2);
  assert.equal(host.engineStatus.status, 'down');
});

test('a restarted agent (silent predecessor) is served at once; a rival while the served one speaks is a conflict', () => {
  const { clock, host, samples } = rig();
  host.applyHeartbeat(beat('agent-one-0001'));
  // A rival speaks while the served agent is alive: its samples are not served.
  clock.now += 200;
  assert.equal(host.applyHeartbeat(beat('agent-two-0002')), 'other-agent');
  const r = host.applySamples({ v: 1, agent: 'agent-two-0002', t: 0, samples: [sample(ID, 5)] }, true);
  assert.deepEqual(r, { ignored: 1, why: 'other-agent' });
  assert.equal(host.conflict, undefined, 'not yet a conflict: the served agent may just have died');
  clock.now += 200;
  host.applyHeartbeat(beat('agent-one-0001'));
  assert.match(host.conflict ?? '', /two agents claim this host: serving agent-one-0001, ignoring agent-two-0002/);
  // The rival goes away: the conflict clears after it has been silent for three heartbeats.
  clock.now += 3 * EVERY + 1;
  host.applyHeartbeat(beat('agent-one-0001'));
  host.checkLiveness();
  assert.equal(host.conflict, undefined);
  // The served agent dies and another starts: after a short silence the newcomer is its successor.
  clock.now += 1.5 * EVERY + 1;
  assert.equal(host.applyHeartbeat(beat('agent-three-003')), undefined);
  host.applySamples({ v: 1, agent: 'agent-three-003', t: 0, samples: [sample(ID, 9)] }, true);
  assert.deepEqual(samples, [9]);
  assert.equal(host.conflict, undefined);
});

test('replayed history is taken whoever sent it, and a record from an agent not served is ignored', () => {
  const { host, samples } = rig();
  host.applyHeartbeat(beat('agent-one-0001'));
  host.applySamples({ v: 1, agent: 'agent-from-yesterday', t: 0, samples: [sample(ID, 1)] }, false);
  assert.deepEqual(samples, [1]);
  host.applyRecord(record('agent-two-0002', []));
  assert.equal(host.all().length, 1, 'the rival did not empty the list');
  host.applyRecord(record('agent-one-0001', [container(ID, 'exited')]));
  assert.equal(host.get(ID)?.state, 'exited');
});
