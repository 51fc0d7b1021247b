import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayBudget, SHARE_REPLAY, gatewayReplayBudget, windowSamples } from './replay-budget.js';

const HISTORY_MS = 900_000;
const INTERVAL_MS = 1000;
const W = windowSamples(HISTORY_MS, INTERVAL_MS);

test('a window is historyMs / intervalMs samples, at least one', () => {
  assert.equal(W, 900);
  assert.equal(windowSamples(0, 1000), 1);
  assert.equal(windowSamples(1500, 1000), 2);
});

test('one socket: a whole window at once, then one window a minute, whatever it asks', () => {
  let now = 0;
  const gateway = gatewayReplayBudget(HISTORY_MS, INTERVAL_MS, () => now);
  const socket = new ReplayBudget(HISTORY_MS, INTERVAL_MS, gateway, () => now);
  assert.equal(socket.grant(W), W);
  assert.equal(socket.grant(W), 0, 'a re-subscribe at once gets nothing');
  now += 6_000;
  assert.equal(socket.grant(W), W / 10, 'six seconds later, a tenth of a window');
  now += 600_000;
  assert.equal(socket.grant(10), 10, 'a short history costs what it holds');
  assert.equal(socket.grant(W * 2), W - 10, 'never more than one window banked');
});

test('a thousand sockets subscribing at once share the gateway budget: 50 windows, then 5 a second', () => {
  let now = 0;
  const gateway = gatewayReplayBudget(HISTORY_MS, INTERVAL_MS, () => now);
  const sockets = Array.from({ length: 1000 }, () => new ReplayBudget(HISTORY_MS, INTERVAL_MS, gateway, () => now));
  const first = sockets.reduce((n, s) => n + s.grant(W), 0);
  assert.equal(first, W * SHARE_REPLAY.gatewayWindows);
  now += 1000;
  const second = sockets.reduce((n, s) => n + s.grant(W), 0);
  assert.equal(second, W * SHARE_REPLAY.gatewayWindowsPerSecond);
  // What the gateway could not give is not spent from the socket's own budget: a late socket still gets its window.
  now += 60_000;
  const late = sockets.at(-1)!;
  assert.equal(late.grant(W), W);
});
