import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, copyFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isObject } from '@dockpulse/shared';

/** The image every test container runs: a static busybox imported from the host (no registry is reachable). */
export const TEST_IMAGE = 'local/busybox:latest';

/** Label on every container the integration tests create. */
export const TEST_LABEL = 'dockpulse.test=integration';

/** Runs the docker CLI and returns its trimmed stdout; rejects with its stderr when it fails. */
export type DockerCli = (args: readonly string[], input?: Buffer) => Promise<string>;

/** Settings of the environment that would point the CLI elsewhere than `DOCKER_HOST`, or add TLS to it. */
const CLI_SETTINGS = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_TLS'];

/** The docker CLI against the engine at `host` (a `DOCKER_HOST` value), or the environment's engine when undefined. */
export function dockerCli(host?: string): DockerCli {
  let env = process.env;
  if (host !== undefined) {
    env = { ...process.env, DOCKER_HOST: host };
    for (const name of CLI_SETTINGS.slice(1)) delete env[name];
  }
  const at = host === undefined ? '' : ` (DOCKER_HOST=${host})`;
  return (args, input) =>
    new Promise((resolve, reject) => {
      const child = execFile('docker', args, { env, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (error) reject(new Error(`docker ${args.join(' ')}${at} failed: ${stderr.trim() || error.message}`));
        else resolve(stdout.trim());
      });
      if (input) child.stdin?.end(input);
    });
}

/** The docker CLI against the environment's engine, the one the tests share. */
export const docker: DockerCli = dockerCli();

/**
 * Imports the test image when the engine lacks it (the shared one unless `cli` says another): the host's static
 * /bin/busybox with a link for each command the tests run, and an empty /tmp, so that no test needs a registry.
 */
export async function ensureTestImage(cli: DockerCli = docker): Promise<void> {
  try {
    await cli(['image', 'inspect', TEST_IMAGE]);
    return;
  } catch {
    // Missing: build it below.
  }
  const root = await mkdtemp(join(tmpdir(), 'dockpulse-image-'));
  try {
    await mkdir(join(root, 'bin'));
    await mkdir(join(root, 'tmp'));
    await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
    for (const c of ['sh', 'sleep', 'cat', 'head', 'tail', 'dd', 'yes', 'top', 'ls', 'echo', 'wget', 'nc']) {
      await symlink('busybox', join(root, 'bin', c));
    }
    await new Promise<void>((resolve, reject) => {
      const tar = execFile('tar', ['-C', root, '-c', '.'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
        if (error) return reject(new Error(error.message));
        cli(['import', '-', TEST_IMAGE], stdout).then(
          () => resolve(),
          (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
        );
      });
      tar.stdin?.end();
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** A `docker stats --no-stream --format '{{json .}}'` line, as far as the tests read it. */
export interface CliStats {
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

/** Reads one `docker stats --format '{{json .}}'` line; throws when a field the tests read is missing. */
export function parseCliStats(line: string): CliStats {
  const raw: unknown = JSON.parse(line);
  const field = (name: keyof CliStats): string => {
    const value = isObject(raw) ? raw[name] : undefined;
    if (typeof value !== 'string') throw new Error(`docker stats printed no ${name}: ${line}`);
    return value;
  };
  return {
    ID: field('ID'),
    Name: field('Name'),
    CPUPerc: field('CPUPerc'),
    MemUsage: field('MemUsage'),
    NetIO: field('NetIO'),
    BlockIO: field('BlockIO'),
    PIDs: field('PIDs'),
  };
}

const UNITS: Record<string, number> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
  kB: 1000,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
  TB: 1000 ** 4,
};

/** Parses a size as the docker CLI prints it (`20.3MiB`, `1.46kB`, `0B`) into bytes. */
export function parseCliSize(text: string): number {
  const m = /^\s*([\d.]+)\s*([A-Za-z]+)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) throw new Error(`not a docker CLI size: ${JSON.stringify(text)}`);
  return Number(m[1]) * unit;
}

/**
 * The containers one test file creates: each is labelled `dockpulse.test=integration` and named with a prefix
 * unique to this run, and `removeAll` removes those and nothing else, so the tests can share an engine with
 * other people's containers.
 */
export class TestContainers {
  readonly prefix = `dpt-${process.pid}-${randomBytes(3).toString('hex')}-`;
  private readonly created = new Set<string>();

  /** @param cli the CLI of the engine they run on; the shared engine's by default */
  constructor(private readonly cli: DockerCli = docker) {}

  /** `docker run -d` with the test label; returns the full container id once `docker run` returned. */
  async run(name: string, command: readonly string[], options: readonly string[] = []): Promise<string> {
    const id = await this.cli(['run', '-d', '--label', TEST_LABEL, '--name', this.prefix + name, ...options, TEST_IMAGE, ...command]);
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`docker run printed no container id: ${JSON.stringify(id)}`);
    this.created.add(id);
    return id;
  }

  /** Stops at once: the busybox shells ignore SIGTERM, and waiting for the kill timeout proves nothing. */
  async stop(id: string): Promise<void> {
    await this.cli(['stop', '-t', '0', id]);
  }

  async start(id: string): Promise<void> {
    await this.cli(['start', id]);
  }

  async remove(id: string): Promise<void> {
    await this.cli(['rm', '-f', id]);
    this.created.delete(id);
  }

  /** What the docker CLI reports for one container right now. */
  async cliStats(id: string): Promise<CliStats> {
    return parseCliStats(await this.cli(['stats', '--no-stream', '--format', '{{json .}}', id]));
  }

  /** Removes every container this run created (by id, and by label and name prefix for a run that failed midway). */
  async removeAll(): Promise<void> {
    const listed = await this.cli(['ps', '-aq', '--no-trunc', '--filter', `label=${TEST_LABEL}`, '--filter', `name=^${this.prefix}`]).catch(
      () => '',
    );
    const ids = new Set([...this.created, ...listed.split('\n').filter(Boolean)]);
    this.created.clear();
    if (ids.size > 0) await this.cli(['rm', '-f', '-v', ...ids]).catch(() => undefined);
  }
}
