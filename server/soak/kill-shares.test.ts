/**
 * The gateway killed with SIGKILL while it creates and revokes share links: whatever moment the kill lands on,
 * the state directory is whole (every file parses, no half-written one is left), and every share and revocation
 * that was acknowledged (201, 204) is there after a restart. A write the kill cut short, never acknowledged, may
 * or may not be there.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CloseCode, isObject } from '@dockpulse/shared';
import { parseShare } from '../src/auth/share-store.js';
import { TestContainers, ensureTestImage } from '../test/helpers/docker.js';
import { postJson, raw } from '../test/helpers/raw-http.js';
import { TestClient } from '../test/helpers/ws-client.js';
import { waitUntil } from '../test/helpers/wait.js';
import { GatewayProcess, startKilledAtFirstWrite } from './helpers/gateway-process.js';
import { soakSettings } from './helpers/soak-settings.js';

const settings = soakSettings();

/** Clients creating and revoking at once: concurrent writes are where a lost update hides. */
const WRITERS = 4;

/**
 * The kill lands this long after the first share was acknowledged, at random: counted from there rather than from
 * the start, so that a round on a slow machine still has something to lose.
 */
const KILL_AFTER_MS = { min: 0, max: 1500 };

/** Tokens of each kind checked over a socket after each restart (all of them are checked in the list). */
const TOKENS_CHECKED = 5;

/** What the writers were told, across the round. */
interface Acknowledged {
  /** Shares created (201), by id, with their token. */
  created: Map<string, string>;
  /** Shares whose revocation was acknowledged (204). */
  revoked: Set<string>;
  /** Shares whose revocation was sent but not acknowledged (the kill cut it short, or 503 not_saved). */
  revoking: Set<string>;
}

/** Creates and revokes shares of `container` until a request fails (the gateway was killed). */
async function write(url: string, container: string, acked: Acknowledged): Promise<void> {
  const headers = { Origin: url };
  const mine: string[] = [];
  for (;;) {
    try {
      if (mine.length > 0 && randomInt(3) === 0) {
        const id = mine.splice(randomInt(mine.length), 1)[0]!;
        acked.revoking.add(id);
        const res = await raw(url, 'DELETE', `/api/shares/${id}`, { headers });
        if (res.status === 204) {
          acked.revoking.delete(id);
          acked.revoked.add(id);
        } else if (res.status !== 503) {
          throw new Error(`DELETE /api/shares/${id} answered ${res.status}: ${res.body}`);
        }
      } else {
        const res = await postJson(url, '/api/shares', { container, ttlSeconds: 3600 }, headers);
        if (res.status !== 201) throw new Error(`POST /api/shares answered ${res.status}: ${res.body}`);
        const share = JSON.parse(res.body) as { id: string; token: string };
        acked.created.set(share.id, share.token);
        mine.push(share.id);
      }
    } catch (e) {
      // The kill: the connection is refused or cut. Anything else is a failure of its own.
      if (e instanceof Error && /ECONNREFUSED|ECONNRESET|socket hang up/.test(e.message)) return;
      throw e;
    }
  }
}

/**
 * Every file of the state directory, each checked to be whole; the shares it holds, by id. A temporary file is
 * allowed right after a kill (the write it belonged to was cut short, and never acknowledged), not after a restart.
 */
async function checkStateDir(dir: string, afterKill: boolean): Promise<Map<string, { revokedAt?: number }>> {
  const names = await readdir(dir);
  const leftovers = names.filter((n) => n.endsWith('.tmp'));
  if (!afterKill) assert.deepEqual(leftovers, [], 'a temporary file a killed gateway left is still there after a restart');
  const secret = (await readFile(join(dir, 'secret'), 'utf8')).trim();
  assert.match(secret, /^[0-9a-f]{64}$/, 'the secret is whole');
  const shares = new Map<string, { revokedAt?: number }>();
  if (!names.includes('shares.json')) return shares;
  const text = await readFile(join(dir, 'shares.json'), 'utf8');
  let parsed: unknown;
  assert.doesNotThrow(() => (parsed = JSON.parse(text)), `shares.json is not JSON: ${text.slice(0, 200)}`);
  assert.ok(isObject(parsed) && Array.isArray(parsed['shares']), 'shares.json holds a list of shares');
  for (const entry of parsed['shares'] as unknown[]) {
    const share = parseShare(entry);
    assert.ok(share, `a malformed share in shares.json: ${JSON.stringify(entry)}`);
    shares.set(share.id, share);
  }
  return shares;
}

/** Whether a share token opens a socket (`open`), or is refused as revoked (`revoked`). */
async function tokenOpens(url: string, token: string): Promise<'open' | 'revoked'> {
  const client = await TestClient.connect(url, { headers: { Authorization: `Bearer ${token}` } });
  try {
    const first = await Promise.race([
      client.waitFor((m) => m.type === 'hello', 10_000).then(() => 'open' as const),
      client.closed.then((c) => (c.code === CloseCode.tokenExpired ? ('revoked' as const) : `closed ${c.code} ${c.reason}`)),
    ]);
    if (first !== 'open' && first !== 'revoked') throw new Error(`a share token's socket ${first}`);
    return first;
  } finally {
    await client.close();
  }
}

/** Up to `n` of a list, picked at random. */
function some<T>(items: readonly T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(randomInt(pool.length), 1)[0]!);
  return out;
}

describe(`kill -9 of the gateway during share writes, ${settings.killRounds} rounds`, () => {
  const containers = new TestContainers();
  let container = '';
  const dirs: string[] = [];
  const gateways: GatewayProcess[] = [];

  before(async () => {
    await ensureTestImage();
    container = await containers.run('shared', ['sleep', '1d']);
  });

  after(async () => {
    await Promise.all(gateways.map((g) => g.kill9()));
    await containers.removeAll();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function boot(stateDir: string): Promise<GatewayProcess> {
    const gateway = await GatewayProcess.start({ DOCKPULSE_STATE_DIR: stateDir, DOCKPULSE_RECORD: 'watched' });
    gateways.push(gateway);
    // A share can be made only of a container the gateway lists.
    const deadline = Date.now() + 20_000;
    while (!(await raw(gateway.url, 'GET', '/api/containers')).body.includes(container)) {
      if (Date.now() > deadline) throw new Error('the gateway never listed the test container');
      await delay(50);
    }
    return gateway;
  }

  test('a gateway killed as it writes its first state starts again on what it left', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'dockpulse-kill-'));
    dirs.push(parent);
    const stateDir = join(parent, 'state');
    assert.equal(await startKilledAtFirstWrite({ DOCKPULSE_STATE_DIR: stateDir }), 'SIGKILL', 'the first start died at its first write');
    // The secret used to be written in place: the kill left it empty, and no gateway would start on it again.
    const revived = await boot(stateDir);
    await revived.stop();
    assert.deepEqual(revived.errors, []);
    await checkStateDir(stateDir, false);
  });

  for (let round = 1; round <= settings.killRounds; round++) {
    test(`round ${round}: the state directory is whole and holds every acknowledged change`, async (t) => {
      const parent = await mkdtemp(join(tmpdir(), 'dockpulse-kill-'));
      dirs.push(parent);
      const stateDir = join(parent, 'state');
      const acked: Acknowledged = { created: new Map(), revoked: new Set(), revoking: new Set() };

      const victim = await boot(stateDir);
      const writers = Array.from({ length: WRITERS }, () => write(victim.url, container, acked));
      await waitUntil(() => acked.created.size > 0, 30_000, 'a first share to be acknowledged');
      const killAfter = randomInt(KILL_AFTER_MS.min, KILL_AFTER_MS.max);
      await delay(killAfter);
      await victim.kill9();
      await Promise.all(writers);
      t.diagnostic(
        `killed ${killAfter} ms after the first share: ${acked.created.size} shares and ${acked.revoked.size} revocations acknowledged, ` +
          `${acked.revoking.size} revocations cut short`,
      );
      assert.ok(acked.created.size > 0, 'no share was created before the kill: the round tested nothing');

      const stored = await checkStateDir(stateDir, true);
      for (const id of acked.created.keys()) assert.ok(stored.has(id), `acknowledged share ${id} is not in shares.json`);
      for (const id of acked.revoked) assert.ok(stored.get(id)?.revokedAt !== undefined, `acknowledged revocation of ${id} is not kept`);

      const revived = await boot(stateDir);
      try {
        const listed = await raw(revived.url, 'GET', '/api/shares');
        assert.equal(listed.status, 200);
        const active = new Set((JSON.parse(listed.body) as { shares: { id: string }[] }).shares.map((s) => s.id));
        const live = [...acked.created.keys()].filter((id) => !acked.revoked.has(id) && !acked.revoking.has(id));
        for (const id of live) assert.ok(active.has(id), `acknowledged share ${id} is gone after the restart`);
        for (const id of acked.revoked) assert.ok(!active.has(id), `revoked share ${id} is active again after the restart`);
        for (const id of some(live, TOKENS_CHECKED)) assert.equal(await tokenOpens(revived.url, acked.created.get(id)!), 'open');
        for (const id of some([...acked.revoked], TOKENS_CHECKED)) {
          assert.equal(await tokenOpens(revived.url, acked.created.get(id)!), 'revoked', `revoked share ${id} opens a socket`);
        }
      } finally {
        await revived.stop();
      }
      assert.deepEqual(revived.errors, [], 'the restarted gateway logged errors');
      await checkStateDir(stateDir, false);
    });
  }
});
