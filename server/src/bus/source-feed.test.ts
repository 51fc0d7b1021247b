import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Sample } from '@dockpulse/shared';
import { FakeSource, fakeContainer, fakeSample } from '../testing/fake-source.js';
import { SourceFeed } from './source-feed.js';

test('every listed container is watched from the source, and its samples reach every listener', () => {
  const a = fakeContainer('a');
  const b = fakeContainer('b', { state: 'exited' });
  const source = new FakeSource({ containers: [a, b] });
  const feed = new SourceFeed(source);
  const stop = feed.start();
  try {
    const heard: Sample[] = [];
    const off = feed.onSample((s) => heard.push(s));
    assert.equal(feed.watching, 2, 'a stopped container is watched too, so that its start is not missed');
    assert.equal(source.streams.open, 2);
    source.push(a.id, fakeSample(a.id, 1));
    assert.deepEqual(
      heard.map((s) => [s.id, s.t]),
      [[a.id, 1]],
    );
    off();
    source.push(a.id, fakeSample(a.id, 2));
    assert.equal(heard.length, 1, 'a listener that stopped hears nothing more');
  } finally {
    stop();
  }
  assert.equal(source.streams.open, 0, 'stopping lets go of every watch');
});

test('a container that comes is watched, and one that goes is let go', () => {
  const a = fakeContainer('a');
  const source = new FakeSource({ containers: [a] });
  const feed = new SourceFeed(source);
  const stop = feed.start();
  try {
    const c = source.add(fakeContainer('c'));
    assert.ok(source.isWatched(c.id), 'a new container is watched once listed');
    source.remove(a.id);
    assert.equal(source.isWatched(a.id), false);
    assert.equal(feed.watching, 1);
    assert.equal(source.streams.open, 1);
    // The same id listed again (an engine that came back with it) is watched anew.
    source.add(a);
    assert.ok(source.isWatched(a.id));
    assert.equal(feed.watching, 2);
  } finally {
    stop();
  }
});

test('a watch the source ends with `removed` is forgotten, so the id can be watched again', () => {
  const a = fakeContainer('a');
  const source = new FakeSource({ containers: [a] });
  const feed = new SourceFeed(source);
  const stop = feed.start();
  try {
    // The source learnt of the removal before its list did.
    source.pushState(a.id, 'removed');
    assert.equal(source.isWatched(a.id), false);
    assert.equal(feed.watching, 0);
    source.update(a.id, { status: 'Up 2 seconds' });
    assert.ok(source.isWatched(a.id), 'the list still has it, so the next change watches it again');
  } finally {
    stop();
  }
});
