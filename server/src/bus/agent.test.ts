import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Sample } from '@dockpulse/shared';
import { silentLogger } from '../log.js';
import type { BatchEndListener, StatsSource } from '../source/source.js';
import { Agent } from './agent.js';
import type { BusLink } from './connection.js';
import { busNames } from './subjects.js';

const HOST = 'h1';
const sample = (id: string): Sample => ({
  host: HOST,
  id,
  t: Date.now(),
  cpu: 1,
  mem: { used: 1, limit: 2, percent: 50 },
  net: { rx: 0, tx: 0, rxRate: 0, txRate: 0 },
  blk: { read: 0, write: 0, readRate: 0, writeRate: 0 },
  pids: 1,
});

/**
 * An agent on a source whose readings are driven by hand, publishing to a connection that records what it
 * is given and when (the clock is the test's).
 */
function rig(options: { batchEnds: boolean; intervalMs: number; heartbeatMs: number }) {
  const published: { at: number; kind: string; samples?: number }[] = [];
  const nc = {
    info: { max_payload: 1 << 20 },
    publish: (subject: string, data: Uint8Array) => {
      const kind = subject.split('.').at(-1)!;
      const body = JSON.parse(Buffer.from(data).toString()) as { samples?: unknown[] };
      published.push({ at: Date.now(), kind, samples: body.samples?.length });
    },
    subscribe: () => ({ unsubscribe() {} }),
    request: () => new Promise(() => {}),
  } as unknown as NatsConnection;
  const link = {
    names: busNames('dockpulse'),
    state: { state: 'up', servers: 'nats://test' },
    connection: nc,
    run: async (handlers: { connected(nc: NatsConnection): Promise<void> }, signal: AbortSignal) => {
      await handlers.connected(nc);
      if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    },
  } as unknown as BusLink;
  const ends = new Set<BatchEndListener>();
  const sampleListeners = new Set<(s: Sample) => void>();
  const source = {
    host: HOST,
    containers: {
      all: () => [],
      engineStatus: { status: 'up', endpoint: 'unix:///var/run/docker.sock' },
      isSettled: false,
      onChange: () => () => {},
    },
    onBatchEnd: options.batchEnds
      ? (fn: BatchEndListener) => {
          ends.add(fn);
          return () => ends.delete(fn);
        }
      : undefined,
  } as unknown as StatsSource;
  const agent = new Agent({
    source,
    samples: {
      onSample: (fn) => {
        sampleListeners.add(fn);
        return () => sampleListeners.delete(fn);
      },
    },
    link,
    intervalMs: options.intervalMs,
    heartbeatMs: options.heartbeatMs,
    version: 'dockpulse/test',
    log: silentLogger,
  });
  /** One run of readings of `n` containers, ending its tick or not. */
  const run = (n: number, last: boolean): void => {
    for (let i = 0; i < n; i++) for (const fn of sampleListeners) fn(sample(`c${i}`));
    for (const fn of ends) fn(last);
  };
  return { agent, published, run };
}

test('a tick leaves when its last run of readings ends, in one message, with the heartbeat when it is nearly due', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const stop = new AbortController();
  try {
    const { agent, published, run } = rig({ batchEnds: true, intervalMs: 1000, heartbeatMs: 1000 });
    const running = agent.run(stop.signal);
    await Promise.resolve();
    // Out of step with the agent's start, as a source's ticks are.
    mock.timers.tick(300);
    for (let tick = 0; tick < 10; tick++) {
      mock.timers.tick(1000);
      run(30, false);
      assert.equal(published.filter((p) => p.kind === 'samples').length, tick, 'a run that does not end the tick waits');
      run(20, true);
      const last = published.filter((p) => p.kind === 'samples').at(-1);
      assert.deepEqual(last, { at: Date.now(), kind: 'samples', samples: 50 }, `tick ${tick}: both runs, at once`);
    }
    // Ticks a second apart: every heartbeat went at the very moment a tick's samples did, not on a wake-up of its own.
    const beats = published.filter((p) => p.kind === 'heartbeat');
    const ticks = new Set(published.filter((p) => p.kind === 'samples').map((p) => p.at));
    assert.equal(beats.length, 10, JSON.stringify(published));
    for (const b of beats) assert.ok(ticks.has(b.at), `heartbeat at ${b.at} rode with a tick: ${JSON.stringify(published)}`);
    assert.equal(agent.counts.heartbeats, 10);
    stop.abort();
    await running;
  } finally {
    mock.timers.reset();
  }
});

test('without ticks the heartbeat keeps its own time, at most a quarter interval late', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const stop = new AbortController();
  try {
    const { agent, published } = rig({ batchEnds: true, intervalMs: 1000, heartbeatMs: 1000 });
    const running = agent.run(stop.signal);
    await Promise.resolve();
    for (let i = 0; i < 1000; i++) mock.timers.tick(10);
    const beats = published.filter((p) => p.kind === 'heartbeat').map((p) => p.at);
    assert.ok(beats.length >= 7, `about one a second over 10 s: ${beats.length}`);
    for (let i = 1; i < beats.length; i++) assert.ok(beats[i]! - beats[i - 1]! <= 1250, `gap ${beats[i]! - beats[i - 1]!} ms`);
    stop.abort();
    await running;
  } finally {
    mock.timers.reset();
  }
});

test('samples of a source without ends leave an interval after the first of them, as does an unended run', async () => {
  for (const batchEnds of [false, true]) {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const stop = new AbortController();
    try {
      const { agent, published, run } = rig({ batchEnds, intervalMs: 1000, heartbeatMs: 5000 });
      const running = agent.run(stop.signal);
      await Promise.resolve();
      const start = Date.now();
      run(1, false);
      mock.timers.tick(400);
      run(2, false);
      mock.timers.tick(599);
      assert.equal(published.filter((p) => p.kind === 'samples').length, 0, 'not before the interval');
      mock.timers.tick(1);
      assert.deepEqual(
        published.filter((p) => p.kind === 'samples'),
        [{ at: start + 1000, kind: 'samples', samples: 3 }],
      );
      mock.timers.tick(5000);
      assert.equal(published.filter((p) => p.kind === 'samples').length, 1, 'nothing pending, nothing sent');
      stop.abort();
      await running;
    } finally {
      mock.timers.reset();
    }
  }
});
