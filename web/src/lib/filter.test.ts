import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary } from '@dockpulse/shared';
import { matchesQuery, parseQuery } from './filter.js';

const web: ContainerSummary = {
  host: 'edge-1',
  id: '3f1c'.padEnd(64, '0'),
  name: 'shop-web-1',
  image: 'nginx:1.27',
  state: 'running',
  status: 'Up 2 minutes',
  createdAt: 0,
  compose: { project: 'shop', service: 'web' },
};

test('matchesQuery', () => {
  const cases: [string, boolean][] = [
    ['', true],
    ['   ', true],
    ['WEB', true],
    ['nginx', true],
    ['shop web', true],
    ['shop db', false],
    ['3f1c', true],
    ['00003f1c', false],
    ['running', true],
    ['stopped', false],
    // A host is named with host:, whole, ignoring case; a plain word does not look at the host.
    ['host:edge-1', true],
    ['HOST:Edge-1', true],
    ['host:edge', false],
    ['host:edge-2', false],
    ['edge-1', false],
    // Several hosts: on any of them; with other words: all of those too.
    ['host:core host:edge-1', true],
    ['host:edge-1 web', true],
    ['host:edge-1 db', false],
    ['web host:core', false],
    // Half typed: no host named yet.
    ['host:', true],
    ['web host:', true],
  ];
  for (const [q, want] of cases) assert.equal(matchesQuery(web, 'running', q), want, JSON.stringify(q));
});

test('parseQuery splits words from the hosts named', () => {
  assert.deepEqual(parseQuery(' Web  host:Edge-1 host: db '), { words: ['web', 'db'], hosts: ['edge-1'] });
  assert.deepEqual(parseQuery(''), { words: [], hosts: [] });
});
