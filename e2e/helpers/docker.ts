/**
 * The test containers: created from `local/busybox:latest` with the label `dockpulse.test=e2e` and names that
 * start with `dpe2e-<run>-`, so that a machine with other containers (or another run) is left alone.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const IMAGE = 'local/busybox:latest';
export const TEST_LABEL = 'dockpulse.test=e2e';
const RUN_LABEL = 'dockpulse.test.run';

/** Runs the docker CLI; returns trimmed stdout. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Builds `local/busybox:latest` from the static busybox binary when it is missing (no registry here). */
export async function ensureImage(): Promise<void> {
  try {
    await docker('image', 'inspect', IMAGE);
    return;
  } catch {
    // Missing: build it below.
  }
  const dir = await mkdtemp(join(tmpdir(), 'dpe2e-image-'));
  try {
    await mkdir(join(dir, 'bin'));
    await copyFile('/bin/busybox', join(dir, 'bin', 'busybox'));
    for (const c of ['sh', 'sleep', 'cat', 'head', 'tail', 'dd', 'yes', 'top', 'ls', 'echo', 'wget', 'nc']) {
      await symlink('busybox', join(dir, 'bin', c));
    }
    await exec('sh', ['-c', `tar -C "${dir}" -c . | docker import - ${IMAGE}`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One test container. */
export interface TestContainer {
  /** Role in the tests, e.g. `busy`. */
  role: string;
  name: string;
  /** Extra `docker run` options, before the image. */
  options: string[];
  command: string[];
}

/**
 * The set every e2e run creates. PID 1 of each traps TERM, so `docker stop` takes a moment, not the
 * 10 seconds a shell that ignores the signal would.
 */
export function testContainers(run: string): TestContainer[] {
  const waitable = (body: string) => ['sh', '-c', `trap 'exit 0' TERM; ${body} & wait`];
  const compose = (service: string) => [
    '--label',
    `com.docker.compose.project=dpe2e-${run}`,
    '--label',
    `com.docker.compose.service=${service}`,
  ];
  return [
    { role: 'busy', name: `dpe2e-${run}-busy`, options: ['--cpus', '0.5'], command: ['sh', '-c', 'while :; do :; done'] },
    { role: 'idle-a', name: `dpe2e-${run}-idle-a`, options: compose('idle'), command: waitable('sleep 1d') },
    { role: 'idle-b', name: `dpe2e-${run}-idle-b`, options: compose('idle'), command: waitable('sleep 1d') },
    {
      role: 'mem',
      name: `dpe2e-${run}-mem`,
      options: compose('mem'),
      command: waitable('head -c 20m /dev/zero > /dev/shm/hold; sleep 1d'),
    },
    { role: 'stop', name: `dpe2e-${run}-stop`, options: [], command: waitable('sleep 1d') },
  ];
}

export async function createContainers(run: string): Promise<void> {
  for (const c of testContainers(run)) {
    await docker('run', '-d', '--name', c.name, '--label', TEST_LABEL, '--label', `${RUN_LABEL}=${run}`, ...c.options, IMAGE, ...c.command);
  }
}

/** Removes the containers of one run, and only those. */
export async function removeContainers(run: string): Promise<void> {
  const ids = await docker('ps', '-aq', '--filter', `label=${TEST_LABEL}`, '--filter', `label=${RUN_LABEL}=${run}`);
  if (ids) await docker('rm', '-f', ...ids.split(/\s+/));
}

/** The name of a test container of this run, from `global-setup`. */
export function containerName(role: string): string {
  const run = process.env['DPE2E_RUN'];
  if (!run) throw new Error('DPE2E_RUN is not set: the e2e global setup did not run');
  const c = testContainers(run).find((x) => x.role === role);
  if (!c) throw new Error(`no test container with role ${role}`);
  return c.name;
}

/** The run id, which every test container's name includes. */
export function runId(): string {
  const run = process.env['DPE2E_RUN'];
  if (!run) throw new Error('DPE2E_RUN is not set: the e2e global setup did not run');
  return run;
}

/**
 * Starts one more container of this run, `dpe2e-<run>-<role>`, for a test that removes and re-creates it; the
 * teardown removes it with the others. Returns its full id.
 */
export async function runTestContainer(role: string, command: string[]): Promise<string> {
  const run = runId();
  return docker('run', '-d', '--name', `dpe2e-${run}-${role}`, '--label', TEST_LABEL, '--label', `${RUN_LABEL}=${run}`, IMAGE, ...command);
}
