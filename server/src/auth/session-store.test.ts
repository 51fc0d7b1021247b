import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionStore, type SessionPersistence, type SessionState } from './session-store.js';

class MemorySessions implements SessionPersistence {
  state: unknown;
  constructor(state?: unknown) {
    this.state = state;
  }
  load(): Promise<unknown> {
    return Promise.resolve(this.state);
  }
  save(state: SessionState): Promise<void> {
    this.state = JSON.parse(JSON.stringify(state)) as unknown;
    return Promise.resolve();
  }
}

test('a logout ends one session; logging out everywhere ends every one issued before; both are kept', async () => {
  let now = 1_000;
  const persistence = new MemorySessions();
  const store = await SessionStore.open(persistence, () => now);
  const a = { epoch: store.epoch, id: 'a', exp: 10_000 };
  const b = { epoch: store.epoch, id: 'b', exp: 20_000 };
  const seen: string[] = [];
  store.onEnd((ended) => seen.push(...[a, b].filter(ended).map((r) => r.id)));
  assert.equal(await store.end(a), 'saved');
  assert.deepEqual([store.isEnded(a), store.isEnded(b)], [true, false]);
  assert.deepEqual(seen, ['a'], 'its sockets are told');
  const reopened = await SessionStore.open(persistence, () => now);
  assert.deepEqual([reopened.isEnded(a), reopened.isEnded(b)], [true, false], 'after a restart');

  // An ended session is forgotten once its cookie would have expired anyway: the list stays bounded.
  now = 15_000;
  const c = { epoch: store.epoch, id: 'c', exp: 30_000 };
  await store.end(c);
  assert.deepEqual((persistence.state as SessionState).ended.map((e) => e.id).sort(), ['c']);

  const epoch = store.epoch;
  assert.equal(await store.endAll(), 'saved');
  assert.notEqual(store.epoch, epoch);
  assert.ok(store.isEnded(b), 'every session of the old epoch');
  assert.deepEqual((persistence.state as SessionState).ended, [], 'nothing more to keep');
  assert.ok((await SessionStore.open(persistence, () => now)).isEnded(b), 'after a restart');
});

test('a state that cannot be read starts a new epoch: no logged-out session comes back', async () => {
  for (const state of [undefined, 'garbage', { epoch: 'e', ended: [{ id: 'x' }] }, { epoch: 'no spaces allowed', ended: [] }]) {
    const store = await SessionStore.open(new MemorySessions(state));
    assert.ok(store.isEnded({ epoch: 'e', id: 'y', exp: Date.now() + 60_000 }), JSON.stringify(state));
  }
});
