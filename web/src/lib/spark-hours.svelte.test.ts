import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostStatsTopic, type HistoryRange } from '@dockpulse/shared';
import { RangeQueryError, type RangeQuery } from '../client/feed-client.js';
import { SparkHours } from './spark-hours.svelte.js';

const NOW = 100 * 86_400_000;
const settle = () => new Promise((r) => setTimeout(r, 0));

function gateway() {
  const asked: { q: RangeQuery; answer: (r: HistoryRange) => void; fail: (e: Error) => void }[] = [];
  const ask = (q: RangeQuery) => new Promise<HistoryRange>((answer, fail) => asked.push({ q, answer, fail }));
  return { asked, ask };
}

test('only rows on screen are asked for, once a minute, and each answer fills its own row', async () => {
  const g = gateway();
  let now = NOW;
  const hours = new SparkHours(g.ask, () => now);
  const a = hours.entry('local', 'a');
  hours.entry('local', 'b');
  const off = hours.watch('local', 'a');
  hours.tick();
  assert.deepEqual(
    g.asked.map((x) => x.q),
    [{ topic: hostStatsTopic('local', 'a'), from: NOW - 3_600_000, to: NOW, step: 60, metrics: ['cpu'] }],
  );
  g.asked[0]?.answer({
    container: { host: 'local', id: 'a', name: 'a' },
    tier: 'minute',
    step: 60,
    t: [NOW - 60_000, NOW],
    series: { cpu: { avg: [12, null], min: [10, null], max: [14, null] } },
  });
  await settle();
  assert.deepEqual(a.columns, [
    [(NOW - 60_000) / 1000, NOW / 1000],
    [12, null],
  ]);
  now += 30_000;
  hours.tick();
  assert.equal(g.asked.length, 1, 'not again within the minute');
  off();
  now += 60_000;
  hours.tick();
  assert.equal(g.asked.length, 1, 'not once scrolled away');
});

test('a gateway that keeps no history stops the asking', async () => {
  const g = gateway();
  const hours = new SparkHours(g.ask, () => NOW);
  hours.watch('local', 'a');
  hours.watch('local', 'b');
  hours.tick();
  g.asked[0]?.fail(new RangeQueryError('unavailable', 'no history'));
  await settle();
  assert.equal(hours.unavailable, true);
  hours.tick();
  assert.equal(g.asked.length, 2);
});
