import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerSummary } from '@dockpulse/shared';
import { findContainer, matchContainers, parseContainerRef, type ContainerRef } from './container-ref.js';

function c(id: string, name: string, host = 'h1'): ContainerSummary {
  return { host, id: id.padEnd(64, '0'), name, image: 'i', state: 'running', status: '', createdAt: 0 };
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

test('parseContainerRef: <host>/<ref> names a host; a name alone, /name, or a malformed host does not', () => {
  const cases: [string, ContainerRef][] = [
    ['web-1', { host: undefined, ref: 'web-1' }],
    ['/web-1', { host: undefined, ref: '/web-1' }],
    ['-', { host: undefined, ref: '-' }],
    ['edge/web-1', { host: 'edge', ref: 'web-1' }],
    ['edge_2/abcd', { host: 'edge_2', ref: 'abcd' }],
    ['edge//web-1', { host: 'edge', ref: '/web-1' }],
    ['edge/', { host: undefined, ref: 'edge/' }],
    ['ed.ge/web-1', { host: undefined, ref: 'ed.ge/web-1' }],
    ['-edge/web-1', { host: undefined, ref: '-edge/web-1' }],
  ];
  for (const [target, want] of cases) assert.deepEqual(parseContainerRef(target), want, target);
});

test('matchContainers across hosts: the same name or id on two hosts is ambiguous unless the host is named', () => {
  const core = c('abcd1', 'web-1', 'core');
  const edge = c('abcd1', 'web-1', 'edge');
  const edgeDb = c('ee001', 'db', 'edge');
  const coreDb = c('cc001', 'db-main', 'core');
  const list = [coreDb, core, edgeDb, edge];
  const id = 'abcd1'.padEnd(64, '0');
  const cases: { ref: string; host?: string; want: ContainerSummary[] }[] = [
    { ref: 'web-1', want: [core, edge] },
    { ref: 'web-1', host: 'edge', want: [edge] },
    { ref: '/web-1', host: 'core', want: [core] },
    { ref: id, want: [core, edge] },
    { ref: id, host: 'core', want: [core] },
    { ref: 'abcd', want: [core, edge] },
    { ref: 'abcd', host: 'edge', want: [edge] },
    { ref: 'db', want: [edgeDb] },
    { ref: 'db', host: 'core', want: [] },
    { ref: 'ee00', want: [edgeDb] },
    { ref: 'web-1', host: 'nowhere', want: [] },
  ];
  for (const x of cases) {
    const label = `${x.host ?? '*'}/${x.ref.slice(0, 12)}`;
    assert.deepEqual(matchContainers(list, x.ref, x.host), x.want, label);
    assert.equal(findContainer(list, x.ref, x.host), x.want.length === 1 ? x.want[0] : undefined, label);
  }
});
