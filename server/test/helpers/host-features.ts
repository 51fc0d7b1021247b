/**
 * What the machine under the Docker engine counts for a container, which differs between machines. Each is proved
 * from the engine's own figures for a short-lived probe container, once per process, so that a test which needs
 * one skips where it is missing, with a reason that names the host's fact, instead of failing or passing over
 * nothing.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isObject } from '@dockpulse/shared';
import { TestContainers, docker, ensureTestImage, parseCliSize, type CliStats } from './docker.js';

/**
 * - `blockIo`: bytes a container writes with direct I/O are counted (the kernel accounts block I/O to cgroups).
 * - `pids`: a container's processes are counted (the pids cgroup controller).
 * - `memory`: a container's memory and its limit are counted (the memory cgroup controller).
 * - `network`: a container on the default network has an interface with an address and a gateway.
 * - `cgroupFiles`: this process sees the container's process in its /proc and can read its memory cgroup, as
 *   the cgroup source must (not so for a remote, rootless or virtualised engine).
 */
export type HostFeature = 'blockIo' | 'pids' | 'memory' | 'network' | 'cgroupFiles';

/** For each feature, undefined when the host has it, else why not: a skip reason, as `{ skip: host.blockIo }` takes it. */
export type HostFeatures = Record<HostFeature, string | undefined>;

const MiB = 1024 * 1024;

/** What the probe writes and holds; the figures it proves are read against this. */
const PROBE_MIB = 4;

/**
 * Holds PROBE_MIB in tmpfs (charged to the container until it ends), writes as much with direct I/O (past the
 * page cache, so the block layer sees it), then says whether the write worked and sleeps while it is looked at.
 */
const PROBE_SCRIPT = [
  `head -c ${PROBE_MIB}m /dev/zero > /dev/shm/hold`,
  `if dd if=/dev/zero of=/probe bs=1M count=${PROBE_MIB} oflag=direct 2>/dd.err; then echo probe:written; else echo "probe:failed $(cat /dd.err)"; fi`,
  'sleep 1d',
].join('; ');

let probed: Promise<HostFeatures> | undefined;

/** The host's features, probed at the first call of the process; every later call gets the same answer. */
export function hostFeatures(): Promise<HostFeatures> {
  probed ??= probe();
  return probed;
}

/** Runs the probe container, reads what the engine reports for it, and removes it. */
async function probe(): Promise<HostFeatures> {
  await ensureTestImage();
  const containers = new TestContainers();
  try {
    const id = await containers.run('host-probe', ['sh', '-c', PROBE_SCRIPT]);
    const said = await firstLogLine(id, 'probe:', 30_000);
    const stats = await containers.cliStats(id);
    const pid = Number(await docker(['inspect', '--format', '{{.State.Pid}}', id]));
    const networks: unknown = JSON.parse(await docker(['inspect', '--format', '{{json .NetworkSettings.Networks}}', id]));
    return {
      blockIo: blockIoProblem(said, stats),
      pids: pidsProblem(stats),
      memory: memoryProblem(stats),
      network: networkProblem(networks),
      cgroupFiles: cgroupFilesProblem(id, pid),
    };
  } finally {
    await containers.removeAll();
  }
}

/** The first line of a container's output that starts with `prefix`, from one `docker logs --follow`. */
function firstLogLine(id: string, prefix: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['logs', '--follow', id], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = createInterface({ input: child.stdout });
    let settled = false;
    const finish = (result: string | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      lines.close();
      child.kill();
      if (typeof result === 'string') resolve(result);
      else reject(result);
    };
    const timer = setTimeout(
      () => finish(new Error(`no line starting ${prefix} from container ${id.slice(0, 12)} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    lines.on('line', (line) => {
      if (line.startsWith(prefix)) finish(line);
    });
    child.on('error', finish);
    // After the output is read to its end, unlike `exit`.
    child.on('close', () => finish(new Error(`the output of container ${id.slice(0, 12)} ended without a line starting ${prefix}`)));
  });
}

/** The written half of `docker stats`' "read / written" column, in bytes. */
function written(stats: CliStats): number {
  return parseCliSize(stats.BlockIO.split('/')[1] ?? '');
}

function blockIoProblem(said: string, stats: CliStats): string | undefined {
  if (said !== 'probe:written') {
    return `the host cannot write with direct I/O in a container (dd oflag=direct: ${said.replace(/^probe:failed\s*/, '').trim()})`;
  }
  // The CLI prints decimal units rounded to three figures (4 MiB is "4.19MB"): a tenth of slack.
  if (written(stats) >= 0.9 * PROBE_MIB * MiB) return undefined;
  return (
    `the host does not account block I/O to containers: a probe container wrote ${PROBE_MIB} MiB with direct I/O ` +
    `and docker stats showed BlockIO ${stats.BlockIO}`
  );
}

function pidsProblem(stats: CliStats): string | undefined {
  const count = Number(stats.PIDs);
  if (Number.isInteger(count) && count >= 1) return undefined;
  return `the host does not count containers' processes (no pids cgroup controller): docker stats showed PIDs ${stats.PIDs} for a running probe container`;
}

function memoryProblem(stats: CliStats): string | undefined {
  const [used = '', limit = ''] = stats.MemUsage.split('/');
  if (parseCliSize(used) >= 0.9 * PROBE_MIB * MiB && parseCliSize(limit) > 0) return undefined;
  return (
    `the host does not account memory to containers (no memory cgroup controller): a probe container held ` +
    `${PROBE_MIB} MiB in /dev/shm and docker stats showed MemUsage ${stats.MemUsage}`
  );
}

function networkProblem(networks: unknown): string | undefined {
  if (isObject(networks)) {
    for (const network of Object.values(networks)) {
      const has = (key: string): boolean => isObject(network) && typeof network[key] === 'string' && network[key] !== '';
      if (has('IPAddress') && has('Gateway')) return undefined;
    }
  }
  return (
    'the engine gives a container on its default network no interface with an address and a gateway: docker inspect ' +
    `showed Networks ${JSON.stringify(networks)}`
  );
}

function cgroupFilesProblem(id: string, pid: number): string | undefined {
  const procFile = `/proc/${pid}/cgroup`;
  const cgroups = pid > 0 ? readText(procFile) : undefined;
  if (cgroups === undefined || !cgroups.includes(id)) {
    return (
      `this process cannot see the engine's containers: process ${pid} of a probe container is not in its /proc with the ` +
      `container's cgroup (a remote, rootless or virtualised engine, or another pid namespace)`
    );
  }
  // `<hierarchy>:<controllers>:<path>`; cgroup v1 names the memory controller, v2 has the one line `0::<path>`.
  const entries = cgroups.split('\n').map((line) => line.split(':'));
  const v1 = entries.find((e) => e[1]?.split(',').includes('memory'));
  const v2 = entries.find((e) => e[0] === '0' && e[1] === '');
  const file = v1
    ? join('/sys/fs/cgroup/memory', v1[2] ?? '', 'memory.usage_in_bytes')
    : join('/sys/fs/cgroup', v2?.[2] ?? '', 'memory.current');
  if (readText(file) !== undefined) return undefined;
  return `this process cannot read the probe container's memory cgroup at ${file}`;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads host features from their JSON (`JSON.stringify`), as one process hands them to the processes it starts. */
export function parseHostFeatures(text: string): HostFeatures {
  const raw: unknown = JSON.parse(text);
  const reason = (feature: HostFeature): string | undefined => {
    const value = isObject(raw) ? raw[feature] : undefined;
    if (value !== undefined && typeof value !== 'string') throw new Error(`host feature ${feature}: ${JSON.stringify(value)}`);
    return value;
  };
  return {
    blockIo: reason('blockIo'),
    pids: reason('pids'),
    memory: reason('memory'),
    network: reason('network'),
    cgroupFiles: reason('cgroupFiles'),
  };
}
