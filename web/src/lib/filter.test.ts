import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary } from '@dockpulse/shared';
import { matchesQuery } from './filter.js';

const web: ContainerSummary = {
  host: 'h1',
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
  ];
  for (const [q, want] of cases) assert.equal(matchesQuery(web, 'running', q), want, JSON.stringify(q));
});
