import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AlertRule } from '@dockpulse/shared';
import { AlertStore } from './alert-store.js';

const RULE: AlertRule = {
  id: 'r1',
  createdAt: 1000,
  name: 'busy',
  match: { name: 'web-*' },
  metric: 'cpu',
  op: '>',
  threshold: 80,
  for: 60,
  cooldown: 300,
  notify: [{ type: 'webhook', url: 'https://hooks.example.com/x' }],
};
const WEB = { host: 'h1', id: 'a'.repeat(64), name: 'web-1' };

async function withStore(fn: (path: string) => void): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-alerts-'));
  try {
    fn(join(dir, 'alerts.db'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('rules and firings outlive the store that wrote them', () =>
  withStore((path) => {
    const first = AlertStore.open(path);
    first.addRule(RULE);
    const firing = first.fired('r1', WEB, 97.5, 2000);
    first.delivered(firing, [
      { type: 'webhook', target: 'https://hooks.example.com', ok: false, attempts: 5, at: 2100, error: 'HTTP 500' },
    ]);
    first.close();
    const second = AlertStore.open(path);
    try {
      assert.deepEqual(second.rules(), { rules: [RULE], skipped: 0 });
      assert.deepEqual(
        second.open().map((f) => [f.ruleId, f.containerName, f.value, f.firedAt, f.resolvedAt]),
        [['r1', 'web-1', 97.5, 2000, null]],
      );
      second.resolved(firing, 3000);
      assert.deepEqual(second.open(), []);
      const [kept] = second.firings('r1');
      assert.equal(kept?.resolvedAt, 3000);
      assert.equal(kept?.delivery?.[0]?.error, 'HTTP 500');
    } finally {
      second.close();
    }
  }));

test('a stored rule that no longer parses is skipped and counted, not served', () =>
  withStore((path) => {
    AlertStore.open(path).close();
    const db = new Database(path);
    db.prepare('INSERT INTO rules (id, created_at, body) VALUES (?, ?, ?)').run('bad', 1, '{"metric":"disk"}');
    db.close();
    const store = AlertStore.open(path);
    try {
      assert.deepEqual(store.rules(), { rules: [], skipped: 1 });
    } finally {
      store.close();
    }
  }));

test('deleting a rule deletes its firings', () =>
  withStore((path) => {
    const store = AlertStore.open(path);
    try {
      store.addRule(RULE);
      store.fired('r1', WEB, 1, 1);
      assert.equal(store.removeRule('r1'), true);
      assert.equal(store.removeRule('r1'), false);
      assert.deepEqual(store.firings(), []);
    } finally {
      store.close();
    }
  }));
