/**
 * Whether this gateway can read the Docker engine's containers from the host's cgroup tree and /proc, which
 * the `auto` source setting asks before it picks the cgroup source over the engine's stats API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { err, isObject, ok, type Result } from '@dockpulse/shared';
import type { Engine } from '../docker/engine.js';
import { enginePidLookup } from './container-process.js';
import {
  cgroupPathOf,
  containerDirsAt,
  findLayout,
  procRootOf,
  type CgroupDriver,
  type CgroupEngine,
  type CgroupLayout,
  type CgroupRoots,
} from './layout.js';
import { parseMemTotal, parseNetDev, parseProcStat } from './proc-parse.js';

/** What detection looks at. */
export interface DetectOptions extends CgroupRoots {
  /** The engine endpoint, as `Engine.endpoint` spells it (`unix:///var/run/docker.sock`, `tcp://…`). */
  endpoint: string;
  /** Whose containers to look for (the engine answering at `endpoint`); Docker's when absent. */
  engine?: CgroupEngine;
  /**
   * Running containers (`probeRunningContainers`): the first whose cgroup is found proves the layout, the
   * driver, and that /proc is the host's. Without one there is no proof, and detection says so.
   */
  running: readonly RunningContainer[];
}

/** A running container and its init pid as the engine reports it (undefined when the lookup failed). */
export interface RunningContainer {
  id: string;
  pid: number | undefined;
}

const NO_RUNNING_CONTAINER = 'no running container to check the cgroup tree with';
const FOUND_WITHOUT_PID = 'found the cgroup of container';

/**
 * True when `detectCgroupAccess` failed only for want of a container to prove the tree with (none running,
 * or the one found stopped as it was looked at): checking again once another runs may succeed.
 */
export function awaitingProof(reason: string): boolean {
  return reason === NO_RUNNING_CONTAINER || reason.startsWith(FOUND_WITHOUT_PID);
}

/** How many running containers are tried before giving up; one found is proof enough. */
const MAX_PROBES = 3;

/**
 * The cgroup layout when this process can read the engine's containers' cgroups and /proc, or why not: a remote
 * or rootless engine, no cgroup filesystem, a cgroup namespace, or a /proc that is not the host's.
 */
export function detectCgroupAccess(opts: DetectOptions): Result<CgroupLayout, string> {
  const remote = engineProblem(opts.endpoint);
  if (remote !== undefined) return err(remote);
  const found = findLayout(opts);
  if (!found.ok) return found;
  const engine = opts.engine ?? 'docker';
  const layout: CgroupLayout = engine === 'docker' ? found.value : { ...found.value, engine };
  const procRoot = procRootOf(opts);
  for (const [file, parse] of [
    ['stat', parseProcStat],
    ['meminfo', parseMemTotal],
  ] as const) {
    const text = readText(join(procRoot, file));
    if (text === undefined) return err(`cannot read ${join(procRoot, file)}`);
    const parsed = parse(text);
    if (!parsed.ok) return err(parsed.error);
  }
  const probes = opts.running.slice(0, MAX_PROBES);
  if (probes.length === 0) return err(NO_RUNNING_CONTAINER);
  let foundWithoutPid: string | undefined;
  for (const { id, pid } of probes) {
    for (const driver of ['cgroupfs', 'systemd'] as const satisfies readonly CgroupDriver[]) {
      const dirs = containerDirsAt(layout, cgroupPathOf(id, driver, engine));
      if (!existsSync(dirs.cpu) || !existsSync(dirs.memory)) continue;
      const known = pid ?? pidFromCgroup(dirs.memory);
      if (known === undefined) {
        // It stopped while we looked, or this process is in another pid namespace and the engine gave no pid.
        foundWithoutPid = id;
        break;
      }
      const problem = procProblem(procRoot, known, id);
      if (problem !== undefined) return err(problem);
      return ok({ ...layout, driver });
    }
  }
  if (foundWithoutPid !== undefined) {
    return err(`${FOUND_WITHOUT_PID} ${foundWithoutPid.slice(0, 12)} but no pid of it to check ${procRoot} with`);
  }
  const where = layout.version === 2 ? layout.root : layout.memory;
  const looked = `${cgroupPathOf('<id>', 'cgroupfs', engine)} and ${cgroupPathOf('<id>', 'systemd', engine)}`;
  return err(
    `no running container's cgroup is under ${where} (looked for ${looked}): ` +
      "a rootless engine, a custom --cgroup-parent, an engine inside a VM, or a cgroup tree that is not the host's",
  );
}

/** Why the engine's containers cannot be on this machine's cgroup tree, judged from the endpoint alone. */
function engineProblem(endpoint: string): string | undefined {
  const m = /^([a-z0-9+.-]+):\/\/(.*)$/i.exec(endpoint);
  const scheme = m ? m[1]!.toLowerCase() : 'unix';
  const path = m ? m[2]! : endpoint;
  if (scheme !== 'unix') return `the engine is remote (${endpoint}): its containers' cgroups are on another machine`;
  if (/^\/run\/user\/|rootless|\/\.docker\/(run|desktop)\//i.test(path)) {
    return `the engine at ${endpoint} is rootless or Docker Desktop: its containers' cgroups are not where the host's engine puts them`;
  }
  return undefined;
}

/**
 * A pid in the cgroup (or in its `container` child), if this process shares the host's pid namespace (in another, `cgroup.procs` shows 0 for
 * every process it cannot see).
 */
function pidFromCgroup(dir: string): number | undefined {
  // crun under systemd on cgroup v2 puts a Podman container's processes in a `container` cgroup inside its scope.
  for (const procs of [join(dir, 'cgroup.procs'), join(dir, 'container', 'cgroup.procs')]) {
    const line = readText(procs)
      ?.split('\n')
      .find((l) => /^\d+$/.test(l) && l !== '0');
    if (line !== undefined) return Number(line);
  }
  return undefined;
}

/**
 * Checks that process `pid` of the container is under `procRoot` in the container's cgroup, and that its
 * network counters can be read.
 */
function procProblem(procRoot: string, pid: number, id: string): string | undefined {
  const cgroup = readText(join(procRoot, String(pid), 'cgroup'));
  if (cgroup === undefined || !cgroup.includes(id)) {
    return `${procRoot} is not the host's /proc: process ${pid} of container ${id.slice(0, 12)} is not there; mount the host's /proc and set its path`;
  }
  const netDev = join(procRoot, String(pid), 'net', 'dev');
  const net = readText(netDev);
  if (net === undefined || !parseNetDev(net).ok)
    return `cannot read ${netDev}: run as root, or give the gateway access to the host's /proc`;
  return undefined;
}

/**
 * A few running containers and their pids, for `detectCgroupAccess`; none when the engine cannot be asked.
 * Only ids and pids are kept of what the engine answers.
 */
export async function probeRunningContainers(engine: Engine, signal: AbortSignal): Promise<RunningContainer[]> {
  let listed: unknown;
  try {
    listed = await engine.docker.listContainers({ limit: MAX_PROBES, filters: { status: ['running'] }, abortSignal: signal } as object);
  } catch {
    return [];
  }
  const lookup = enginePidLookup(engine);
  const out: RunningContainer[] = [];
  for (const entry of Array.isArray(listed) ? listed : []) {
    const id = isObject(entry) ? entry['Id'] : undefined;
    if (typeof id !== 'string') continue;
    out.push({ id, pid: await lookup(id, signal).catch(() => undefined) });
  }
  return out;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
