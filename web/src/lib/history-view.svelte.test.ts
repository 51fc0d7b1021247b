import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostStatsTopic, type HistoryRange } from '@dockpulse/shared';
import { RangeQueryError, type RangeQuery } from '../client/feed-client.js';
import { HistoryView } from './history-view.svelte.js';

const HOUR = 3_600_000;
const NOW = 100 * 86_400_000;

/** A gateway in the test's hands: every query asked, answered when the test says. */
function gateway() {
  const asked: { q: RangeQuery; answer: (r: HistoryRange) => void; fail: (e: Error) => void }[] = [];
  const ask = (q: RangeQuery) => new Promise<HistoryRange>((answer, fail) => asked.push({ q, answer, fail }));
  return { asked, ask };
}

function range(step: number): HistoryRange {
  return {
    container: { host: 'local', id: 'a'.repeat(64), name: 'web-1' },
    tier: 'minute',
    step,
    t: [NOW],
    series: { cpu: { avg: [1], min: [1], max: [1] } },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

test('a window ending now, then a zoom asked at the step that suits its span; a late answer to the old query is dropped', async () => {
  const g = gateway();
  const view = new HistoryView(g.ask, { host: 'local', id: 'a'.repeat(64) }, () => NOW);
  try {
    view.show(24 * HOUR);
    assert.deepEqual(g.asked[0]?.q, { topic: hostStatsTopic('local', 'a'.repeat(64)), from: NOW - 24 * HOUR, to: NOW, step: 120 });
    assert.equal(view.loading, true);
    view.zoom(NOW - 2 * HOUR, NOW - HOUR);
    assert.deepEqual(g.asked[1]?.q.step, 5);
    assert.equal(view.zoomed, true);
    g.asked[1]?.answer(range(60));
    g.asked[0]?.answer(range(120));
    await settle();
    assert.equal(view.range?.step, 60);
    assert.equal(view.loading, false);
    view.unzoom();
    assert.deepEqual(view.span, { from: NOW - 24 * HOUR, to: NOW });
  } finally {
    view.stop();
  }
});

test('a gateway that keeps no history is said as such, and other failures keep what was shown', async () => {
  const g = gateway();
  const view = new HistoryView(g.ask, { host: 'local', id: 'a'.repeat(64) }, () => NOW);
  try {
    view.show(HOUR);
    g.asked[0]?.answer(range(60));
    await settle();
    view.retry();
    g.asked[1]?.fail(new RangeQueryError('timeout', 'no answer'));
    await settle();
    assert.deepEqual(view.problem, { code: 'timeout', message: 'no answer' });
    assert.equal(view.range?.step, 60);
    view.retry();
    g.asked[2]?.fail(new RangeQueryError('unavailable', 'this gateway keeps no history beyond its recent samples'));
    await settle();
    assert.equal(view.problem?.code, 'unavailable');
    assert.equal(view.range, null);
  } finally {
    view.stop();
  }
});
