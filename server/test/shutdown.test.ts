import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseCode } from '@dockpulse/shared';
import { TestClient } from './helpers/ws-client.js';
import { waitUntil } from './helpers/wait.js';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

/** SIGTERM: every client is told the server is going away (1001), and the process exits cleanly. */
test('on SIGTERM the gateway closes its sockets with 1001 and exits 0', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'dockpulse-shutdown-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--source', 'docker'], {
    cwd: SERVER_DIR,
    env: { ...process.env, DOCKPULSE_STATE_DIR: stateDir, DOCKPULSE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let client: TestClient | undefined;
  try {
    await waitUntil(() => /"url":"http:\/\/127\.0\.0\.1:\d+"/.test(log), 20_000, 'the gateway to listen');
    const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(log)![1]!;
    client = await TestClient.connect(url);
    await client.waitFor((m) => m.type === 'hello', 5000);
    child.kill('SIGTERM');
    const closed = await client.closed;
    assert.equal(closed.code, CloseCode.goingAway);
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, log);
    assert.match(log, /"msg":"shutting down","signal":"SIGTERM"/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await client?.close();
    await rm(stateDir, { recursive: true, force: true });
  }
});
