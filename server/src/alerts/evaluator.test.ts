import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertNotice, AlertRule, Sample } from '@dockpulse/shared';
import { AlertEvaluator, STALE_MS } from './evaluator.js';
import type { ContainerFacts } from './match.js';

const WEB: ContainerFacts = { host: 'h1', id: 'a'.repeat(64), name: 'web-1', project: 'shop', labels: { tier: 'front' } };
const DB: ContainerFacts = { host: 'h1', id: 'b'.repeat(64), name: 'db-1' };

function rule(over: Partial<AlertRule> = {}): AlertRule {
  return {
    id: 'r1',
    createdAt: 0,
    name: 'busy',
    match: {},
    metric: 'cpu',
    op: '>',
    threshold: 80,
    for: 10,
    cooldown: 60,
    notify: [],
    ...over,
  };
}

function sample(c: ContainerFacts, t: number, cpu: number | null, mem: Partial<Sample['mem']> = {}): Sample {
  return {
    host: c.host,
    id: c.id,
    t,
    cpu,
    mem: { used: 100, limit: 1000, percent: 10, ...mem },
    net: { rx: 0, tx: 0, rxRate: null, txRate: null },
    blk: { read: 0, write: 0, readRate: null, writeRate: null },
    pids: 1,
  };
}

function setup(r: AlertRule): { ev: AlertEvaluator; notices: AlertNotice[] } {
  const notices: AlertNotice[] = [];
  const ev = new AlertEvaluator((n) => notices.push(n));
  ev.addRule(r);
  return { ev, notices };
}

/** Feeds one sample a second from `from` (s) for `seconds`, each with `cpu(t)`. */
function feed(ev: AlertEvaluator, c: ContainerFacts, from: number, seconds: number, cpu: (s: number) => number): void {
  for (let s = from; s < from + seconds; s++) ev.sample(sample(c, s * 1000, cpu(s)), c);
}

test('a figure above the threshold fires only once its average over the window is above it', () => {
  const { ev, notices } = setup(rule());
  feed(ev, WEB, 0, 10, () => 100);
  assert.equal(notices.length, 0, 'nine seconds of readings do not cover a 10 s window');
  assert.equal(ev.states('r1')[0]?.state, 'pending');
  feed(ev, WEB, 10, 1, () => 100);
  assert.deepEqual(notices, [
    {
      rule: { id: 'r1', name: 'busy' },
      state: 'firing',
      container: { host: 'h1', id: WEB.id, name: 'web-1' },
      metric: 'cpu',
      op: '>',
      value: 100,
      threshold: 80,
      time: 10_000,
    },
  ]);
  assert.deepEqual(
    ev.firing().map((n) => n.container.name),
    ['web-1'],
  );
});

test('a reading without a CPU figure (the first after a gap) is passed over, not taken as the end of the load', () => {
  const { ev, notices } = setup(rule({ for: 5 }));
  feed(ev, WEB, 0, 6, () => 100);
  ev.sample(sample(WEB, 6000, null), WEB);
  feed(ev, WEB, 7, 3, () => 100);
  assert.deepEqual(
    notices.map((n) => n.state),
    ['firing'],
  );
});

test('a long window is averaged in buckets and still fires and resolves on its average', () => {
  const { ev, notices } = setup(rule({ for: 3600 }));
  feed(ev, WEB, 0, 3600, (s) => (s % 2 === 0 ? 100 : 70)); // average 85
  feed(ev, WEB, 3600, 60, () => 85);
  assert.deepEqual(
    notices.map((n) => n.state),
    ['firing'],
  );
  assert.ok(Math.abs(notices[0]!.value! - 85) < 0.5, `fired at ${notices[0]!.value}`);
  feed(ev, WEB, 3660, 3600, () => 10);
  assert.deepEqual(
    notices.map((n) => n.state),
    ['firing', 'resolved'],
  );
});

test('a short spike does not move the average over the window past the threshold', () => {
  const { ev, notices } = setup(rule());
  feed(ev, WEB, 0, 30, (s) => (s % 10 === 0 ? 300 : 50));
  assert.equal(notices.length, 0);
});

test('a figure hovering at the threshold does not flap: it resolves only 10 % below it', () => {
  const { ev, notices } = setup(rule());
  feed(ev, WEB, 0, 11, () => 90);
  assert.equal(notices.length, 1);
  feed(ev, WEB, 11, 60, (s) => (s % 2 === 0 ? 81 : 75));
  assert.equal(notices.length, 1, 'an average of 78 is below 80 but above 72: still firing');
  feed(ev, WEB, 71, 10, () => 60);
  assert.equal(notices.length, 2);
  assert.equal(notices[1]!.state, 'resolved');
  assert.ok(notices[1]!.value! < 72, `resolved at ${notices[1]!.value}`);
});

test('a rule that resolved does not fire again within its cooldown, and fires when it ends if still true', () => {
  const { ev, notices } = setup(rule({ cooldown: 60 }));
  feed(ev, WEB, 0, 11, () => 100); // fires at 10 s
  feed(ev, WEB, 11, 10, () => 0); // resolves
  feed(ev, WEB, 21, 30, () => 100);
  assert.deepEqual(
    notices.map((n) => n.state),
    ['firing', 'resolved'],
  );
  assert.equal(ev.states('r1')[0]?.state, 'pending', 'held back by the cooldown');
  feed(ev, WEB, 51, 25, () => 100);
  assert.deepEqual(
    notices.map((n) => [n.state, n.time]),
    [
      ['firing', 10_000],
      ['resolved', notices[1]!.time],
      ['firing', 70_000],
    ],
  );
});

test('"<" fires below the threshold and resolves 10 % above it', () => {
  const { ev, notices } = setup(rule({ op: '<', threshold: 10, for: 5 }));
  feed(ev, WEB, 0, 6, () => 5);
  feed(ev, WEB, 6, 10, () => 10.5);
  assert.deepEqual(
    notices.map((n) => n.state),
    ['firing'],
  );
  feed(ev, WEB, 16, 10, () => 12);
  assert.deepEqual(
    notices.map((n) => n.state),
    ['firing', 'resolved'],
  );
});

test('the match picks containers by name glob, label, project and host', () => {
  const { ev, notices } = setup(rule({ match: { name: 'web-*', label: 'tier=front', project: 'shop', host: 'h1' }, for: 1 }));
  feed(ev, WEB, 0, 3, () => 100);
  feed(ev, DB, 0, 3, () => 100);
  assert.deepEqual(
    notices.map((n) => n.container.name),
    ['web-1'],
  );
  const byKey = setup(rule({ match: { label: 'tier' }, for: 1 }));
  feed(byKey.ev, { ...WEB, labels: { tier: 'back' } }, 0, 3, () => 100);
  assert.equal(byKey.notices.length, 1, 'a label key alone matches any value');
});

test('mem_percent has no value for a container without a limit of its own, and never fires for it', () => {
  const { ev, notices } = setup(rule({ metric: 'mem_percent', threshold: 1, for: 1 }));
  for (let s = 0; s < 5; s++) ev.sample(sample(WEB, s * 1000, 0, { percent: 50 }), { ...WEB, memoryLimited: false });
  assert.equal(notices.length, 0);
  assert.deepEqual(
    ev.states('r1').map((t) => [t.state, t.value]),
    [['ok', null]],
  );
  for (let s = 5; s < 10; s++) ev.sample(sample(WEB, s * 1000, 0, { percent: 50 }), { ...WEB, memoryLimited: true });
  assert.equal(notices.length, 1);
});

test('a container that is no longer sampled resolves and is dropped', () => {
  const { ev, notices } = setup(rule({ for: 1 }));
  feed(ev, WEB, 0, 3, () => 100);
  ev.tick(2000 + STALE_MS + 1);
  assert.deepEqual(
    notices.map((n) => [n.state, n.value]),
    [
      ['firing', 100],
      ['resolved', null],
    ],
  );
  assert.deepEqual(ev.states('r1'), []);
});

test('restarts counts starts after a death within the window, and resolves as they age out of it', () => {
  const { ev, notices } = setup(rule({ metric: 'restarts', threshold: 2, for: 60 }));
  const event = (action: 'die' | 'start', t: number) => ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action, t, exitCode: 1 }, WEB);
  event('start', 0); // its first start is not a restart
  for (const t of [1000, 2000, 3000]) {
    event('die', t);
    event('start', t + 100);
  }
  assert.deepEqual(
    notices.map((n) => [n.state, n.value]),
    [['firing', 3]],
  );
  ev.tick(61_200); // the first restart (at 1.1 s) is out of the window: 2 is not above 2
  assert.deepEqual(
    notices.map((n) => [n.state, n.value]),
    [
      ['firing', 3],
      ['resolved', 2],
    ],
  );
});

test('oom fires on an OOM kill and resolves when none was seen for the window', () => {
  const { ev, notices } = setup(rule({ metric: 'oom', threshold: 0, for: 30 }));
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'oom', t: 5000 }, WEB);
  assert.deepEqual(
    notices.map((n) => [n.state, n.value]),
    [['firing', 1]],
  );
  ev.tick(20_000);
  assert.equal(notices.length, 1);
  ev.tick(35_001);
  assert.deepEqual(notices[1]?.state, 'resolved');
});

test('exited fires once the container has stayed dead with a failing code for the window, and resolves when it starts', () => {
  const { ev, notices } = setup(rule({ metric: 'exited', threshold: 0, for: 5 }));
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'die', t: 1000, exitCode: 0 }, WEB);
  ev.tick(10_000);
  assert.equal(notices.length, 0, 'exit code 0 is not a failure');
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'start', t: 11_000 }, WEB);
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'die', t: 12_000, exitCode: 137 }, WEB);
  ev.tick(14_000);
  assert.equal(notices.length, 0, 'a death restarted within the window does not fire');
  ev.tick(17_000);
  assert.deepEqual(
    notices.map((n) => [n.state, n.value]),
    [['firing', 137]],
  );
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'start', t: 20_000 }, WEB);
  assert.deepEqual(
    notices.map((n) => [n.state, n.value]),
    [
      ['firing', 137],
      ['resolved', 0],
    ],
  );
});

test('unhealthy fires after the window and resolves when healthy; removal resolves too', () => {
  const { ev, notices } = setup(rule({ metric: 'unhealthy', threshold: 0, for: 2 }));
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'health', health: 'unhealthy', t: 0 }, WEB);
  ev.tick(2000);
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'health', health: 'healthy', t: 3000 }, WEB);
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'health', health: 'unhealthy', t: 4000 }, WEB);
  ev.tick(70_000);
  ev.lifecycle('h1', { id: WEB.id, name: WEB.name, action: 'destroy', t: 71_000 }, WEB);
  assert.deepEqual(
    notices.map((n) => [n.state, n.time]),
    [
      ['firing', 2000],
      ['resolved', 3000],
      ['firing', 70_000],
      ['resolved', 71_000],
    ],
  );
});

test('a firing restored from the store is not notified again, and resolves when its condition is gone', () => {
  const { ev, notices } = setup(rule({ for: 1 }));
  ev.restoreFiring('r1', WEB, 500, 99, 500);
  feed(ev, WEB, 1, 3, () => 100);
  assert.equal(notices.length, 0);
  feed(ev, WEB, 4, 3, () => 0);
  assert.deepEqual(
    notices.map((n) => n.state),
    ['resolved'],
  );
});

test('a restored firing waits for its container: not stale at once, and a restored level holds until the list says otherwise', () => {
  const { ev, notices } = setup(rule({ for: 1 }));
  ev.restoreFiring('r1', WEB, 1000, 99, 3_600_000);
  ev.tick(3_601_000);
  assert.equal(notices.length, 0, 'an hour-old firing is not stale the moment the gateway starts');
  const exited = setup(rule({ metric: 'exited', threshold: 0, for: 5 }));
  exited.ev.restoreFiring('r1', WEB, 1000, 137, 3_600_000);
  exited.ev.tick(3_601_000);
  assert.equal(exited.notices.length, 0);
  exited.ev.seen({ ...WEB, running: true, unhealthy: false, exitCode: undefined }, 3_602_000);
  assert.deepEqual(
    exited.notices.map((n) => [n.state, n.value]),
    [['resolved', 0]],
  );
});
