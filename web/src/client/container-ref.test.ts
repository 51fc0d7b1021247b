import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary } from '@dockpulse/shared';
import { findContainer } from './container-ref.js';

function c(id: string, name: string): ContainerSummary {
  return { host: 'h1', id: id.padEnd(64, '0'), name, image: 'i', state: 'running', status: '', createdAt: 0 };
}

const LIST = [c('abcd1', 'web-1'), c('abce2', 'db'), c('ffff3', 'abcd')];

test('findContainer: id, then name, then a unique id prefix', () => {
  assert.equal(findContainer(LIST, 'abcd1'.padEnd(64, '0'))?.name, 'web-1');
  assert.equal(findContainer(LIST, 'web-1')?.name, 'web-1');
  assert.equal(findContainer(LIST, '/db')?.name, 'db');
  // A name wins over an id prefix that happens to spell it.
  assert.equal(findContainer(LIST, 'abcd')?.name, 'abcd');
  assert.equal(findContainer(LIST, 'abce')?.name, 'db');
  assert.equal(findContainer(LIST, 'abc'), undefined, 'too short');
  assert.equal(findContainer(LIST, 'ab'), undefined);
  assert.equal(findContainer([c('abcd1', 'x'), c('abcd2', 'y')], 'abcd'), undefined, 'ambiguous');
  assert.equal(findContainer(LIST, 'nope'), undefined);
});
