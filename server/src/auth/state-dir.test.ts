import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../log.js';
import { StateDir } from './state-dir.js';

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

test('a state directory and secret that others may read are made owner-only, and the change is logged', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'dockpulse-state-mode-'));
  try {
    const path = join(parent, 'state');
    await mkdir(path);
    await chmod(path, 0o755);
    await writeFile(join(path, 'secret'), `${'ab'.repeat(32)}\n`);
    await chmod(join(path, 'secret'), 0o644);
    const lines: string[] = [];
    const secret = await new StateDir(
      path,
      createLogger('info', (l) => lines.push(l)),
    ).secret();
    assert.equal(secret.toString('hex'), 'ab'.repeat(32), 'the secret is kept');
    assert.equal((await modeOf(path)).toString(8), '700');
    assert.equal((await modeOf(join(path, 'secret'))).toString(8), '600');
    assert.equal(lines.filter((l) => l.includes('made the state directory owner-only')).length, 2, lines.join(''));

    // Owner-only already, or tighter: left as it is.
    await chmod(path, 0o500);
    await new StateDir(path).ensure();
    assert.equal((await modeOf(path)).toString(8), '500');
    await chmod(path, 0o700);
  } finally {
    await rm(parent, { recursive: true, force: true });
  }
});

test('a new state directory is made owner-only, whatever the umask', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'dockpulse-state-mode-'));
  const umask = process.umask(0o000);
  try {
    const path = join(parent, 'new', 'state');
    await new StateDir(path).secret();
    assert.equal((await modeOf(path)).toString(8), '700');
    assert.equal((await modeOf(join(path, 'secret'))).toString(8), '600');
  } finally {
    process.umask(umask);
    await rm(parent, { recursive: true, force: true });
  }
});
