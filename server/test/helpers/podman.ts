/**
 * A rootful Podman for the tests: its Docker-compatible service on a socket of its own (started here, stopped
 * by its pid), the test image imported into it, and its CLI with the settings this machine needs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isObject } from '@dockpulse/shared';
import { connectEndpoint, type Engine } from '../../src/docker/engine.js';
import { TEST_IMAGE, TestContainers, ensureTestImage, type DockerCli } from './docker.js';
import { waitUntil } from './wait.js';

/**
 * Every container gets these: the sandboxes these tests run in have hard limits below Podman's defaults, and
 * `podman run` fails with "error setting rlimit type 7" without them. Set in a containers.conf of the tests' own,
 * read by the CLI and the service alike, with a short stop timeout: the busybox shells ignore SIGTERM, and
 * `podman rm -f` would otherwise wait 10 s for each before killing it.
 */
const CONTAINERS_CONF = '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n\n[engine]\nstop_timeout = 1\n';

/** A running Podman service and what talks to it. */
export interface PodmanService {
  /** The service's process. */
  pid: number;
  /** `unix:///…/podman.sock`. */
  endpoint: string;
  engine: Engine;
  /** The podman CLI, with the tests' containers.conf. */
  cli: DockerCli;
  containers: TestContainers;
  /** What `podman stats --no-stream` prints for one container now. */
  stats(id: string): Promise<PodmanCliStats>;
  /** Removes the tests' containers, stops the service and removes its directory. */
  stop(): Promise<void>;
}

/** One container of `podman stats --no-stream --format json`, as far as the tests read it. */
export interface PodmanCliStats {
  cpu_percent: string;
  mem_usage: string;
  net_io: string;
  block_io: string;
  pids: string;
}

function podmanCli(env: NodeJS.ProcessEnv): DockerCli {
  return (args, input) =>
    new Promise((resolve, reject) => {
      const child = execFile('podman', args, { env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) reject(new Error(`podman ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
        else resolve(stdout.trim());
      });
      if (input) child.stdin?.end(input);
    });
}

let reason: Promise<string | undefined> | undefined;

/**
 * Why Podman cannot run containers here, or undefined when it can: proved by running one, once per process.
 * A test file skips with this reason, which names the host's fact.
 */
export function podmanProblem(): Promise<string | undefined> {
  reason ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockpulse-podman-probe-'));
    const env = await podmanEnv(dir);
    const cli = podmanCli(env);
    try {
      await cli(['--version']);
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      return `podman is not installed here (${e instanceof Error ? e.message : String(e)})`;
    }
    const containers = new TestContainers(cli);
    try {
      await ensureTestImage(cli);
      const id = await containers.run('probe', ['sh', '-c', 'exit 0'], ['--network', 'none']);
      await cli(['wait', id]);
      return undefined;
    } catch (e) {
      return `podman cannot run a container here: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      await containers.removeAll();
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return reason;
}

async function podmanEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, CONTAINERS_CONF);
  return { ...process.env, CONTAINERS_CONF: conf };
}

/** Starts `podman system service` on a socket in a new directory and waits until it answers. */
export async function startPodman(): Promise<PodmanService> {
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-podman-'));
  const env = await podmanEnv(dir);
  const socket = join(dir, 'podman.sock');
  const endpoint = `unix://${socket}`;
  const child: ChildProcess = spawn('podman', ['system', 'service', '--time=0', endpoint], { env, stdio: 'ignore' });
  const cli = podmanCli(env);
  const stop = async (containers?: TestContainers): Promise<void> => {
    await containers?.removeAll();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const engine = connectEndpoint(endpoint, undefined, 'DOCKER_HOST');
    if (!engine.ok) throw new Error(engine.error);
    await waitUntil(
      async () => {
        try {
          await engine.value.docker.ping();
          return true;
        } catch {
          return false;
        }
      },
      20_000,
      `podman system service at ${socket}`,
    );
    await ensureTestImage(cli);
    const containers = new TestContainers(cli);
    return {
      pid: child.pid!,
      endpoint,
      engine: engine.value,
      cli,
      containers,
      stats: async (id) => parsePodmanStats(await cli(['stats', '--no-stream', '--format', 'json', id])),
      stop: () => stop(containers),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function parsePodmanStats(text: string): PodmanCliStats {
  const raw: unknown = JSON.parse(text);
  const first: unknown = Array.isArray(raw) ? raw[0] : undefined;
  const field = (name: keyof PodmanCliStats): string => {
    const v = isObject(first) ? first[name] : undefined;
    if (typeof v !== 'string') throw new Error(`podman stats printed no ${name}: ${text}`);
    return v;
  };
  return {
    cpu_percent: field('cpu_percent'),
    mem_usage: field('mem_usage'),
    net_io: field('net_io'),
    block_io: field('block_io'),
    pids: field('pids'),
  };
}

export { TEST_IMAGE };
