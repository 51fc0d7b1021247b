import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, type ContainerSummary, type EngineStatus, type TopicState } from '@dockpulse/shared';
import type { StatsSink, StatsSource } from '../source/source.js';
import { HostSet } from './host-set.js';
import { resolveShareScope, resolveStatsTopic } from './resolve.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

/** A host whose list and status the test sets. */
function fakeHost(host: string, containers: { id: string; name: string; state?: ContainerSummary['state'] }[]) {
  const listeners = new Set<() => void>();
  const list = new Map<string, ContainerSummary>();
  for (const c of containers) {
    list.set(c.id, { host, id: c.id, name: c.name, image: 'i', state: c.state ?? 'running', status: '', createdAt: 0 });
  }
  const watched: { id: string; sink: StatsSink }[] = [];
  const status = { engine: { status: 'up', endpoint: `test://${host}` } as EngineStatus, ready: true };
  const source: StatsSource = {
    host,
    via: 'engine',
    containers: {
      get engineStatus() {
        return status.engine;
      },
      get isReady() {
        return status.ready;
      },
      isSettled: true,
      get: (id) => list.get(id),
      all: () => [...list.values()].sort((x, y) => x.name.localeCompare(y.name)),
      onChange: (fn) => {
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    },
    streams: { open: 0, opened: 0 },
    describe: { docker: `test://${host}`, source: 'test' },
    run: () => Promise.resolve(),
    watch: (id, sink) => void watched.push({ id, sink }),
  };
  const emit = () => {
    for (const fn of [...listeners]) fn();
  };
  return {
    source,
    watched,
    down(error: string) {
      status.engine = { status: 'down', endpoint: `test://${host}`, error };
      emit();
    },
    remove(id: string) {
      list.delete(id);
      emit();
    },
  };
}

test('the containers of every host, in one list sorted by name then host, and each host with its counts', () => {
  const now = 1_000_000;
  const hosts = new HostSet(() => now);
  const one = fakeHost('h1', [
    { id: A, name: 'web' },
    { id: B, name: 'db', state: 'exited' },
  ]);
  const two = fakeHost('h2', [{ id: B, name: 'web' }]);
  hosts.add(two.source);
  hosts.add(one.source);
  assert.deepEqual(
    hosts.all().map((c) => `${c.name}@${c.host}`),
    ['db@h1', 'web@h1', 'web@h2'],
  );
  assert.deepEqual(
    hosts.hosts().map((h) => [h.name, h.state, h.containers, h.running, h.lastSeen]),
    [
      ['h1', 'up', 2, 1, now],
      ['h2', 'up', 1, 1, now],
    ],
  );
  assert.deepEqual(hosts.engineStatus(), { status: 'up', endpoint: '2 hosts' });
  assert.throws(() => hosts.add(fakeHost('h1', []).source), /already served/);
});

test('a host that stops answering is unavailable, keeps its last list, and says when it was last seen', () => {
  let now = 1000;
  const hosts = new HostSet(() => now);
  const one = fakeHost('h1', [{ id: A, name: 'web' }]);
  hosts.add(one.source);
  hosts.add(fakeHost('h2', []).source);
  let changes = 0;
  hosts.onChange(() => changes++);
  now = 5000;
  one.down('connect ECONNREFUSED');
  now = 9000;
  const [h1] = hosts.hosts();
  assert.equal(h1!.state, 'unavailable');
  assert.equal(h1!.lastSeen, 1000);
  assert.equal(h1!.containers, 1);
  assert.equal(changes, 1);
  assert.deepEqual(hosts.engineStatus(), { status: 'down', endpoint: '2 hosts', error: 'not answering: h1' });
  hosts.remove('h2');
  assert.deepEqual(hosts.engineStatus(), one.source.containers.engineStatus, 'with one host, its own status');
  assert.equal(changes, 2);
});

test('a watch goes to its host; a host not served ends it at once as removed', () => {
  const hosts = new HostSet();
  const one = fakeHost('h1', [{ id: A, name: 'web' }]);
  hosts.add(one.source);
  const states: TopicState[] = [];
  const sink: StatsSink = { sample: () => {}, state: (s) => states.push(s) };
  hosts.watch('h1', A, sink, new AbortController().signal);
  assert.equal(one.watched.length, 1);
  hosts.watch('nowhere', A, sink, new AbortController().signal);
  assert.deepEqual(states, ['removed']);
});

test('stats topics resolve to a container on a host', () => {
  const hosts = new HostSet();
  const one = fakeHost('h1', [
    { id: A, name: 'web' },
    { id: B, name: 'db' },
  ]);
  hosts.add(one.source);
  const cases: { host: string | undefined; ref: string; want: string }[] = [
    { host: undefined, ref: A, want: `h1/${A}` },
    { host: 'h1', ref: A, want: `h1/${A}` },
    { host: 'h1', ref: 'db', want: `h1/${B}` },
    { host: 'h1', ref: 'c'.repeat(64), want: ErrorCode.notFound },
    { host: 'h1', ref: 'cache', want: ErrorCode.notFound },
    { host: 'h9', ref: A, want: ErrorCode.notFound },
    { host: undefined, ref: 'c'.repeat(64), want: ErrorCode.notFound },
  ];
  const outcome = (host: string | undefined, ref: string) => {
    const r = resolveStatsTopic(hosts, host, ref);
    return r.ok ? `${r.value.host}/${r.value.id}` : r.error.code;
  };
  for (const c of cases) assert.equal(outcome(c.host, c.ref), c.want, `${c.host ?? '(v1)'} ${c.ref}`);

  // While its one host does not answer, the first version's form and ids are taken on trust; names cannot be.
  one.down('gone');
  assert.equal(outcome(undefined, 'c'.repeat(64)), `h1/${'c'.repeat(64)}`);
  assert.equal(outcome('h1', 'c'.repeat(64)), `h1/${'c'.repeat(64)}`);
  assert.equal(outcome('h1', 'cache'), ErrorCode.notFound);

  // With two hosts an id on both is ambiguous in the first version's form, and one on neither is not found.
  hosts.add(fakeHost('h2', [{ id: A, name: 'web' }]).source);
  assert.equal(outcome(undefined, A), ErrorCode.badTopic);
  assert.equal(outcome('h2', A), `h2/${A}`);
  assert.equal(outcome(undefined, 'd'.repeat(64)), ErrorCode.notFound);
});

test('a share link shows its container on its host, follows a name there, and an old link finds its host', () => {
  const hosts = new HostSet();
  const one = fakeHost('h1', [{ id: A, name: 'web' }]);
  hosts.add(one.source);
  hosts.add(fakeHost('h2', [{ id: B, name: 'web' }]).source);
  const claims = { sid: 's', cid: A, follow: true, name: 'web', exp: Infinity };
  assert.deepEqual(resolveShareScope(hosts, { ...claims, host: 'h1' }, 'h2'), { kind: 'container', host: 'h1', id: A, name: 'web' });
  assert.deepEqual(
    resolveShareScope(hosts, claims, 'h2'),
    { kind: 'container', host: 'h1', id: A, name: 'web' },
    'no host: where the id is',
  );
  one.remove(A);
  assert.deepEqual(
    resolveShareScope(hosts, { ...claims, host: 'h1' }, 'h2'),
    { kind: 'container', host: 'h1', id: A, name: 'web' },
    'the same name on another host is another container',
  );
  assert.deepEqual(resolveShareScope(hosts, { ...claims, follow: false }, 'h2'), { kind: 'container', host: 'h2', id: A, name: 'web' });
});
