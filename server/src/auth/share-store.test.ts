import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateDir } from './state-dir.js';
import { FileShares, ShareStore, type Share, type SharePersistence } from './share-store.js';
import { waitUntil } from '../../test/helpers/wait.js';
import { Authenticator } from './authenticate.js';

const C = { id: 'c'.repeat(64), name: 'web-1' };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-state-'));
  try {
    await fn(join(dir, 'state'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('shares and revocations survive a restart; the secret is private and stable', () =>
  withDir(async (path) => {
    let now = 1_000_000;
    const dir = new StateDir(path);
    const secret = await dir.secret();
    assert.equal((await stat(join(path, 'secret'))).mode & 0o777, 0o600);
    const store = await ShareStore.open(new FileShares(dir), secret, () => now);
    const a = await store.create(C, 60_000, false);
    const b = await store.create(C, 60_000, true);
    assert.ok(a !== 'full' && b !== 'full');
    assert.equal(await store.revoke(a.share.id), 'revoked');
    assert.equal(await store.revoke(a.share.id), 'none', 'revoking twice');

    const dir2 = new StateDir(path);
    const secret2 = await dir2.secret();
    assert.deepEqual(secret2, secret);
    const reopened = await ShareStore.open(new FileShares(dir2), secret2, () => now);
    assert.deepEqual(
      reopened.active().map((s) => s.id),
      [b.share.id],
    );
    assert.deepEqual(reopened.verify(a.token), { ok: false, error: 'revoked' });
    assert.equal(reopened.verify(b.token).ok, true);
    assert.equal(reopened.tokenOf(reopened.active()[0]!), b.token, 'the same token can be shown again');
    now += 60_000;
    assert.deepEqual(reopened.verify(b.token), { ok: false, error: 'expired' });
    assert.deepEqual(reopened.active(), []);
    const file = JSON.parse(await readFile(join(path, 'shares.json'), 'utf8')) as { shares: unknown[] };
    assert.equal(file.shares.length, 2);
    assert.ok(!JSON.stringify(file).includes(b.token), 'tokens are not stored');
  }));

test('shares created and revoked at once are all kept: no write overwrites another with an older list', () =>
  withDir(async (path) => {
    const dir = new StateDir(path);
    const secret = await dir.secret();
    const store = await ShareStore.open(new FileShares(dir), secret);
    const first = await store.create(C, 60_000, false);
    assert.ok(first !== 'full');
    // Each write used to carry the list as it was when it was asked for, without the shares still being written:
    // the last write to land then dropped the others, though each had been acknowledged.
    const [revoked, ...created] = await Promise.all([
      store.revoke(first.share.id),
      ...Array.from({ length: 5 }, () => store.create(C, 60_000, false)),
    ]);
    assert.equal(revoked, 'revoked');
    const ids = created.map((c) => (c === 'full' ? assert.fail('full') : c.share.id));

    const reopened = await ShareStore.open(new FileShares(new StateDir(path)), secret);
    assert.deepEqual(
      reopened
        .active()
        .map((s) => s.id)
        .sort(),
      [...ids].sort(),
    );
    assert.deepEqual(reopened.verify(first.token), { ok: false, error: 'revoked' });
  }));

test("a starting store removes the temporary files a killed gateway left, and no one else's", () =>
  withDir(async (path) => {
    const dir = new StateDir(path);
    const secret = await dir.secret();
    const dead = 'shares.json.999999999.0a1b2c3d.tmp';
    // A gateway that is pid 1 in a container has the same id after its restart.
    const own = `shares.json.${process.pid}.0a1b2c3d.tmp`;
    const alive = `shares.json.${process.ppid}.0a1b2c3d.tmp`;
    const other = 'notes.json.999999999.0a1b2c3d.tmp';
    for (const name of [dead, own, alive, other]) await writeFile(join(path, name), '{"shares":[');
    await ShareStore.open(new FileShares(dir), secret);
    const left = (await readdir(path)).sort();
    assert.deepEqual(left, [other, alive, 'secret'].sort());
  }));

test('a revocation is announced, for closing live sockets', () =>
  withDir(async (path) => {
    const dir = new StateDir(path);
    const store = await ShareStore.open(new FileShares(dir), await dir.secret());
    const created = await store.create(C, 60_000, false);
    assert.ok(created !== 'full');
    const seen: string[] = [];
    store.onRevoke((s) => seen.push(s.id));
    await store.revoke(created.share.id);
    assert.deepEqual(seen, [created.share.id]);
  }));

test('who a request is', () =>
  withDir(async (path) => {
    const dir = new StateDir(path);
    const secret = await dir.secret();
    const store = await ShareStore.open(new FileShares(dir), secret);
    const share = await store.create(C, 60_000, false);
    assert.ok(share !== 'full');
    const open = new Authenticator(undefined, store, secret);
    assert.deepEqual(open.authenticate({}), { ok: true, value: { kind: 'admin' } }, 'no token configured: loopback admin');
    const asShare = open.authenticate({ token: share.token });
    assert.equal(asShare.ok && asShare.value.kind, 'share', 'a share token stays a share');

    const locked = new Authenticator('the-access-token-123', store, secret);
    assert.deepEqual(locked.authenticate({}), { ok: false, error: 'missing' });
    assert.deepEqual(locked.authenticate({ token: 'wrong-token-0000000' }), { ok: false, error: 'invalid' });
    assert.deepEqual(locked.authenticate({ token: 'the-access-token-123' }), { ok: true, value: { kind: 'admin' } });
    const session = locked.newSession();
    assert.deepEqual(locked.authenticate({ session: session.value }), { ok: true, value: { kind: 'admin', session: session.ref } });
    assert.deepEqual(locked.authenticate({ session: 'forged.cookie' }), { ok: false, error: 'invalid' });
    const other = new Authenticator('another-access-token', store, secret);
    assert.deepEqual(locked.authenticate({ session: other.newSession().value }), { ok: false, error: 'invalid' });
    await store.revoke(share.share.id);
    assert.deepEqual(locked.authenticate({ token: share.token }), { ok: false, error: 'revoked' });
  }));

/** Shares kept in memory, with saving turned off and on at will. */
class FlakyShares implements SharePersistence {
  failing = false;
  saved: Share[] = [];
  load(): Promise<unknown[]> {
    return Promise.resolve(this.saved);
  }
  save(_changed: Share, all: readonly Share[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('read-only file system'));
    this.saved = all.map((s) => ({ ...s }));
    return Promise.resolve();
  }
}

test('a revocation that cannot be saved stays in force, is retried until it is kept, and one never kept is reported at close', async () => {
  const persistence = new FlakyShares();
  const store = await ShareStore.open(persistence, Buffer.alloc(32, 7));
  const a = await store.create(C, 60_000, false);
  const b = await store.create(C, 60_000, false);
  assert.ok(a !== 'full' && b !== 'full');
  persistence.failing = true;
  assert.equal(await store.revoke(a.share.id), 'unsaved');
  assert.deepEqual(store.verify(a.token), { ok: false, error: 'revoked' }, 'in force before it is kept');
  assert.equal(await store.revoke(a.share.id), 'unsaved', 'revoking again tries again');
  persistence.failing = false;
  // The store's own retry, every 5 s.
  await waitUntil(() => store.unsavedRevocations === 0, 15_000, 'the revocation kept by the retry');
  const reopened = await ShareStore.open(persistence, Buffer.alloc(32, 7));
  assert.deepEqual(reopened.verify(a.token), { ok: false, error: 'revoked' });

  persistence.failing = true;
  assert.equal(await store.revoke(b.share.id), 'unsaved');
  assert.deepEqual(await store.close(), [b.share.id], 'never kept: said at close');
});
