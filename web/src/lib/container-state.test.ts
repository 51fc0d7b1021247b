import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerState, ContainerSummary, HealthStatus, TopicState } from '@dockpulse/shared';
import { displayState, topicDisplayState } from './container-state.js';

function summary(state: ContainerState, health?: HealthStatus): ContainerSummary {
  const s: ContainerSummary = { host: 'h1', id: 'a'.repeat(64), name: 'a', image: 'i', state, status: '', createdAt: 0 };
  if (health) s.health = health;
  return s;
}

test('displayState', () => {
  const cases: [ContainerSummary | undefined, TopicState | null, string, boolean][] = [
    [summary('running'), null, 'running', false],
    [summary('running', 'healthy'), null, 'running', false],
    [summary('running', 'unhealthy'), null, 'unhealthy', false],
    [summary('restarting'), null, 'restarting', false],
    [summary('paused'), null, 'paused', false],
    [summary('created'), null, 'created', true],
    [summary('exited'), null, 'stopped', true],
    [summary('dead'), null, 'stopped', true],
    [undefined, null, 'removed', true],
    // The stats topic saw the change before the next list arrived.
    [summary('running'), 'stopped', 'stopped', true],
    [summary('running'), 'paused', 'paused', false],
    [summary('running'), 'removed', 'removed', true],
    [summary('exited'), 'running', 'running', false],
    [summary('exited', 'unhealthy'), 'running', 'unhealthy', false],
    // The engine being unreachable says nothing new about the container itself.
    [summary('running'), 'unavailable', 'running', false],
  ];
  for (const [s, topic, want, down] of cases) {
    const got = displayState(s, topic);
    assert.equal(got.state, want, `${s?.state}/${s?.health} + ${topic}`);
    assert.equal(got.down, down, `${want} down`);
  }
});

test('displayState of a container whose host does not answer: unavailable, unless it is gone', () => {
  const cases: [ContainerSummary | undefined, TopicState | null, string, boolean][] = [
    [summary('running'), null, 'unavailable', true],
    [summary('running'), 'unavailable', 'unavailable', true],
    [summary('exited'), null, 'unavailable', true],
    [summary('running'), 'removed', 'removed', true],
    [undefined, null, 'removed', true],
  ];
  for (const [s, topic, want, down] of cases) {
    const got = displayState(s, topic, true);
    assert.equal(got.state, want, `${s?.state} + ${topic}`);
    assert.equal(got.down, down, `${want} down`);
  }
  assert.ok(displayState(summary('running'), null, true).rank < displayState(summary('running'), null).rank, 'before running ones');
});

test('states needing attention sort before running, gone ones last', () => {
  const rank = (s: ContainerState, h?: HealthStatus) => displayState(summary(s, h), null).rank;
  assert.ok(rank('running', 'unhealthy') < rank('running'));
  assert.ok(rank('running') < rank('paused'));
  assert.ok(rank('paused') < rank('exited'));
  assert.ok(rank('exited') < displayState(undefined, null).rank);
});

test('topicDisplayState: from the topic alone', () => {
  assert.equal(topicDisplayState(null), null);
  assert.equal(topicDisplayState('unavailable'), null);
  assert.deepEqual(
    (['running', 'paused', 'stopped', 'removed'] as const).map((t) => [topicDisplayState(t)?.state, topicDisplayState(t)?.down]),
    [
      ['running', false],
      ['paused', false],
      ['stopped', true],
      ['removed', true],
    ],
  );
});
