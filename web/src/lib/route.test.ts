import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerPath, isHistoryWindow, isStandalonePath, parseRoute, parseWindow, type Route } from './route.js';

test('parseRoute', () => {
  const cases: [string, Route][] = [
    ['/', { name: 'overview' }],
    ['/c/web-1', { name: 'container', ref: 'web-1' }],
    ['/c/web-1/', { name: 'container', ref: 'web-1' }],
    ['/c/a%20b', { name: 'container', ref: 'a b' }],
    ['/c/edge/web-1', { name: 'container', host: 'edge', ref: 'web-1' }],
    ['/c/edge/web.1/', { name: 'container', host: 'edge', ref: 'web.1' }],
    ['/c/edge%2Fx/web-1', { name: 'not-found', path: '/c/edge%2Fx/web-1' }],
    ['/c/no.such.host/web-1', { name: 'not-found', path: '/c/no.such.host/web-1' }],
    ['/c/edge/web-1/more', { name: 'not-found', path: '/c/edge/web-1/more' }],
    ['/c/%E0%A4%A', { name: 'not-found', path: '/c/%E0%A4%A' }],
    ['/c/edge/%E0%A4%A', { name: 'not-found', path: '/c/edge/%E0%A4%A' }],
    ['/c/', { name: 'not-found', path: '/c/' }],
    ['/nope', { name: 'not-found', path: '/nope' }],
  ];
  for (const [path, want] of cases) assert.deepEqual(parseRoute(path), want, path);
});

test('containerPath round-trips through parseRoute', () => {
  for (const ref of ['web-1', 'a b', 'x/y', 'é']) {
    assert.deepEqual(parseRoute(containerPath(ref)), { name: 'container', ref });
    assert.deepEqual(parseRoute(containerPath(ref, 'edge_2')), { name: 'container', host: 'edge_2', ref });
  }
});

test('parseWindow', () => {
  assert.equal(parseWindow('1m').ms, 60_000);
  assert.equal(parseWindow('15m').ms, 900_000);
  assert.equal(parseWindow(null).key, '5m');
  assert.equal(parseWindow('2h').key, '5m');
  assert.equal(parseWindow('7d').ms, 7 * 86_400_000);
  assert.equal(isHistoryWindow(parseWindow('24h')), true);
  assert.equal(isHistoryWindow(parseWindow('15m')), false);
});

test('parseRoute: share links and embeds', () => {
  const cases: [string, Route][] = [
    ['/s/dps1.abc.def', { name: 'share', token: 'dps1.abc.def' }],
    ['/embed/web-1', { name: 'embed', ref: 'web-1' }],
    ['/embed/-/', { name: 'embed', ref: '-' }],
    ['/embed/edge/web-1', { name: 'embed', host: 'edge', ref: 'web-1' }],
    ['/embed/', { name: 'not-found', path: '/embed/' }],
    ['/s/a/b', { name: 'not-found', path: '/s/a/b' }],
  ];
  for (const [path, want] of cases) assert.deepEqual(parseRoute(path), want, path);
  assert.equal(isStandalonePath('/s/x'), true);
  assert.equal(isStandalonePath('/embed/x'), true);
  assert.equal(isStandalonePath('/embed/edge/x'), true);
  assert.equal(isStandalonePath('/c/x'), false);
  assert.equal(isStandalonePath('/c/edge/x'), false);
});
