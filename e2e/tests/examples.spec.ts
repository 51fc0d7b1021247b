/**
 * The examples in docs/, run as the docs tell a reader to run them from a fresh clone after `pnpm install`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { containerName } from '../helpers/docker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test("node docs/examples/print-samples.mjs prints a container's history and live samples", async ({ baseURL }) => {
  const busy = containerName('busy');
  const child = spawn(process.execPath, ['docs/examples/print-samples.mjs', busy, `${(baseURL ?? '').replace(/^http/, 'ws')}/ws`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await expect
      .poll(() => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr}`);
        return stdout;
      })
      .toMatch(/^\d+ samples of history\n(?:.*\n)*\d{4}-\d\d-\d\dT[\d:.]+Z cpu +\d+\.\d% mem +\d+\.\d MiB pids \d+/m);
    expect(stdout).toContain('state: running');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});
