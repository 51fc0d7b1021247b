import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerPath, isStandalonePath, parseRoute, parseWindow } from './route.js';

test('parseRoute', () => {
  assert.deepEqual(parseRoute('/'), { name: 'overview' });
  assert.deepEqual(parseRoute('/c/web-1'), { name: 'container', ref: 'web-1' });
  assert.deepEqual(parseRoute('/c/web-1/'), { name: 'container', ref: 'web-1' });
  assert.deepEqual(parseRoute('/c/a%20b'), { name: 'container', ref: 'a b' });
  assert.deepEqual(parseRoute('/c/%E0%A4%A'), { name: 'not-found', path: '/c/%E0%A4%A' });
  assert.deepEqual(parseRoute('/c/'), { name: 'not-found', path: '/c/' });
  assert.deepEqual(parseRoute('/nope'), { name: 'not-found', path: '/nope' });
});

test('containerPath round-trips through parseRoute', () => {
  for (const ref of ['web-1', 'a b', 'x/y', 'é']) assert.deepEqual(parseRoute(containerPath(ref)), { name: 'container', ref });
});

test('parseWindow', () => {
  assert.equal(parseWindow('1m').ms, 60_000);
  assert.equal(parseWindow('15m').ms, 900_000);
  assert.equal(parseWindow(null).key, '5m');
  assert.equal(parseWindow('2h').key, '5m');
});

test('parseRoute: share links and embeds', () => {
  assert.deepEqual(parseRoute('/s/dps1.abc.def'), { name: 'share', token: 'dps1.abc.def' });
  assert.deepEqual(parseRoute('/embed/web-1'), { name: 'embed', ref: 'web-1' });
  assert.deepEqual(parseRoute('/embed/-/'), { name: 'embed', ref: '-' });
  assert.deepEqual(parseRoute('/embed/'), { name: 'not-found', path: '/embed/' });
  assert.deepEqual(parseRoute('/s/a/b'), { name: 'not-found', path: '/s/a/b' });
  assert.equal(isStandalonePath('/s/x'), true);
  assert.equal(isStandalonePath('/embed/x'), true);
  assert.equal(isStandalonePath('/c/x'), false);
});
