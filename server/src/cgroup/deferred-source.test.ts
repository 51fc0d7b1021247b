import { test } from 'node:test';
import assert from 'node:assert/strict';
import { err, ok, type ContainerState, type Sample, type TopicState } from '@dockpulse/shared';
import type { StatsSink, StatsUpstream, StreamCounters } from '../source/source.js';
import { silentLogger } from '../log.js';
import { DeferredCgroupSource, type CgroupCheck, type RunningList } from './deferred-source.js';

/** An upstream that records its watches. */
function recording(): StatsUpstream & {
  streams: StreamCounters;
  watches: { id: string; sink: StatsSink; signal: AbortSignal }[];
  end(): void;
} {
  const ends = new Set<(last: boolean) => void>();
  const u = {
    streams: { open: 0, opened: 0 },
    watches: [] as { id: string; sink: StatsSink; signal: AbortSignal }[],
    watch(id: string, sink: StatsSink, signal: AbortSignal) {
      u.watches.push({ id, sink, signal });
      u.streams.open++;
      u.streams.opened++;
      signal.addEventListener('abort', () => u.streams.open--, { once: true });
    },
    onBatchEnd(fn: (last: boolean) => void) {
      ends.add(fn);
      return () => ends.delete(fn);
    },
    end: () => ends.forEach((fn) => fn(true)),
  };
  return u;
}

class List implements RunningList {
  containers: { id: string; state: ContainerState }[] = [];
  private readonly listeners = new Set<() => void>();
  all() {
    return this.containers;
  }
  onChange(fn: () => void) {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }
  set(id: string, state: ContainerState): void {
    this.containers = [...this.containers.filter((c) => c.id !== id), { id, state }];
    for (const fn of [...this.listeners]) fn();
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

const sink = (): StatsSink & { got: (Sample | TopicState)[] } => {
  const got: (Sample | TopicState)[] = [];
  return { got, sample: (s) => void got.push(s), state: (s) => void got.push(s) };
};

test('until a container runs, watches go to the API; the first one that proves the files moves every watch to them', () => {
  const api = recording();
  const files = recording();
  const list = new List();
  const checked: string[][] = [];
  const check: CgroupCheck = (ids) => {
    checked.push([...ids]);
    return ok(files);
  };
  const source = new DeferredCgroupSource(api, list, check, silentLogger);
  const outer = new AbortController();
  const a = sink();
  source.watch('a', a, outer.signal);
  list.set('a', 'created');
  assert.equal(source.source, 'docker');
  assert.equal(checked.length, 0, 'nothing running, nothing to check with');
  assert.deepEqual(source.streams, { open: 1, opened: 1 });

  list.set('a', 'running');
  assert.deepEqual(checked, [['a']]);
  assert.equal(source.source, 'cgroup');
  assert.equal(api.watches[0]!.signal.aborted, true, 'the API stream is released');
  assert.equal(files.watches[0]!.id, 'a');
  assert.equal(files.watches[0]!.sink, a, 'the same sink goes on with the files');
  assert.deepEqual(source.streams, { open: 1, opened: 2 });
  assert.equal(list.listenerCount, 0, 'decided: the list is no longer followed');

  const b = sink();
  source.watch('b', b, new AbortController().signal);
  assert.equal(files.watches[1]!.id, 'b', 'new watches go to the files');
  assert.equal(api.watches.length, 1);

  outer.abort();
  assert.equal(files.watches[0]!.signal.aborted, true, 'ending the watch ends it on the files');
});

test("the hub hears of the files' batch ends once they serve, through the listener it gave at the start", () => {
  const api = recording();
  const files = recording();
  const list = new List();
  const source = new DeferredCgroupSource(api, list, () => ok(files), silentLogger);
  let ends = 0;
  source.onBatchEnd(() => ends++);
  list.set('a', 'running');
  files.end();
  assert.equal(ends, 1);
});

test('files that fail to prove out leave the API in place for good; a check without proof is tried again', () => {
  const api = recording();
  const list = new List();
  const answers = [err({ reason: 'stopped as it was looked at', retry: true }), err({ reason: 'a custom --cgroup-parent', retry: false })];
  let checks = 0;
  const source = new DeferredCgroupSource(api, list, () => answers[checks++]!, silentLogger);
  source.watch('a', sink(), new AbortController().signal);
  list.set('a', 'running');
  assert.equal(checks, 1);
  assert.equal(list.listenerCount, 1, 'no proof either way: still following the list');
  list.set('b', 'running');
  assert.equal(checks, 2);
  assert.equal(list.listenerCount, 0);
  list.set('c', 'running');
  assert.equal(checks, 2, 'never asked again');
  assert.equal(source.source, 'docker');
  assert.equal(api.watches[0]!.signal.aborted, false, 'the API stream stays');
});
