/**
 * Where the host's cgroup hierarchies are, and where one container's cgroup is inside them: cgroup v1 (one
 * hierarchy per controller) or v2 (one unified tree), with Docker's cgroupfs or systemd driver.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Result } from '@dockpulse/shared';
import { parseMountinfo, parseProcCgroup, type MountEntry } from './proc-parse.js';

/** Where to find the host's /proc and cgroup tree; all optional, for a gateway running straight on the host. */
export interface CgroupRoots {
  /**
   * The host's root filesystem as this process sees it, e.g. `/host` when the gateway runs in a container with
   * the host's `/` mounted read-only there. Mount points read from the host's mountinfo are taken under it.
   */
  hostRoot?: string;
  /** The host's /proc (default `<hostRoot>/proc`, or `/proc`): /proc/stat, /proc/meminfo, /proc/<pid>/net/dev. */
  procRoot?: string;
  /**
   * The host's cgroup mount, e.g. `/host/sys/fs/cgroup`. When set, the hierarchies are looked for under it
   * instead of in mountinfo: a v2 tree if it has `cgroup.controllers`, else v1 controller directories.
   */
  cgroupRoot?: string;
}

/** The engine's cgroup driver, as seen in a container's cgroup path. */
export type CgroupDriver = 'cgroupfs' | 'systemd';

/** Whose naming the containers' cgroups follow: Docker's (`docker-<id>`) or Podman's (`libpod-<id>`). */
export type CgroupEngine = 'docker' | 'podman';

interface LayoutCommon {
  /** The host's /proc. */
  procRoot: string;
  /** Known once a running container's cgroup was found; undefined when detection had none to look at. */
  driver: CgroupDriver | undefined;
  /** The engine whose containers are looked for; Docker when absent. */
  engine?: CgroupEngine;
}

/** cgroup v1: one directory per controller hierarchy. `blkio` and `pids` are absent on kernels without them. */
export interface CgroupV1Layout extends LayoutCommon {
  version: 1;
  cpuacct: string;
  memory: string;
  blkio: string | undefined;
  pids: string | undefined;
}

/** cgroup v2: one unified tree. */
export interface CgroupV2Layout extends LayoutCommon {
  version: 2;
  root: string;
}

/** Where the host's cgroup hierarchies and /proc are. */
export type CgroupLayout = CgroupV1Layout | CgroupV2Layout;

/** The directories one container's stats files are in; for v2 all four are the same. */
export interface ContainerDirs {
  cpu: string;
  memory: string;
  io: string | undefined;
  pids: string | undefined;
}

/** `/proc` unless told otherwise. */
export function procRootOf(roots: CgroupRoots): string {
  return roots.procRoot ?? join(roots.hostRoot ?? '/', 'proc');
}

/**
 * Finds the cgroup hierarchies: under `cgroupRoot` when given, else from the mount table (the host init's,
 * `<procRoot>/1/mountinfo`, when `hostRoot` is given, since this process's own would list its container's
 * mounts; else `<procRoot>/self/mountinfo`).
 */
export function findLayout(roots: CgroupRoots): Result<CgroupLayout, string> {
  const procRoot = procRootOf(roots);
  if (roots.cgroupRoot !== undefined) return layoutUnder(roots.cgroupRoot, procRoot);
  const file = join(procRoot, roots.hostRoot === undefined ? 'self' : '1', 'mountinfo');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return err(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const mounts = parseMountinfo(text);
  if (!mounts.ok) return err(`${file}: ${mounts.error}`);
  return layoutFromMounts(mounts.value, roots.hostRoot ?? '/', procRoot);
}

/**
 * The layout a mount table describes. v1 wins when its memory hierarchy is mounted: a "hybrid" host also
 * mounts an empty v2 tree at /sys/fs/cgroup/unified, with no controllers in it.
 */
export function layoutFromMounts(mounts: readonly MountEntry[], hostRoot: string, procRoot: string): Result<CgroupLayout, string> {
  const v1 = new Map<string, MountEntry>();
  for (const m of mounts) {
    if (m.fsType !== 'cgroup') continue;
    for (const option of m.superOptions) if (!v1.has(option)) v1.set(option, m);
  }
  const at = (m: MountEntry): string => join(hostRoot, m.mountPoint);
  const memory = v1.get('memory');
  const cpuacct = v1.get('cpuacct');
  if (memory && cpuacct) {
    for (const m of [memory, cpuacct]) {
      if (m.root !== '/') return err(subtreeOnly(m));
    }
    const optional = (name: string): string | undefined => {
      const m = v1.get(name);
      return m && m.root === '/' ? at(m) : undefined;
    };
    return ok({
      version: 1,
      procRoot,
      driver: undefined,
      cpuacct: at(cpuacct),
      memory: at(memory),
      blkio: optional('blkio'),
      pids: optional('pids'),
    });
  }
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  if (!unified) return err('no cgroup filesystem is mounted (not Linux, or /sys/fs/cgroup is not visible here)');
  if (unified.root !== '/') return err(subtreeOnly(unified));
  return ok({ version: 2, procRoot, driver: undefined, root: at(unified) });
}

/** The layout of a cgroup tree mounted at `cgroupRoot`, found by looking at what is there. */
export function layoutUnder(cgroupRoot: string, procRoot: string): Result<CgroupLayout, string> {
  if (existsSync(join(cgroupRoot, 'cgroup.controllers'))) return ok({ version: 2, procRoot, driver: undefined, root: cgroupRoot });
  const dir = (name: string): string | undefined => {
    const d = join(cgroupRoot, name);
    return existsSync(d) ? d : undefined;
  };
  // Distributions mount cpu and cpuacct together as `cpu,cpuacct` and link both names to it; some mount them apart.
  const cpuacct = dir('cpuacct') ?? dir('cpu,cpuacct');
  const memory = dir('memory');
  if (cpuacct === undefined || memory === undefined)
    return err(`no cgroup v2 tree nor v1 cpuacct and memory hierarchies under ${cgroupRoot}`);
  return ok({ version: 1, procRoot, driver: undefined, cpuacct, memory, blkio: dir('blkio'), pids: dir('pids') });
}

/**
 * A container's cgroup relative to a hierarchy's root, for each driver: Docker's `docker/<id>` and
 * `system.slice/docker-<id>.scope`, rootful Podman's `libpod_parent/libpod-<id>` and `machine.slice/libpod-<id>.scope`
 * (its conmon has a cgroup of its own beside it, `libpod_parent/conmon` or `machine.slice/libpod-conmon-<id>.scope`).
 */
export function cgroupPathOf(id: string, driver: CgroupDriver, engine: CgroupEngine = 'docker'): string {
  if (engine === 'podman') return driver === 'cgroupfs' ? `libpod_parent/libpod-${id}` : `machine.slice/libpod-${id}.scope`;
  return driver === 'cgroupfs' ? `docker/${id}` : `system.slice/docker-${id}.scope`;
}

/** The directories of a container whose cgroup is `path` (relative, or absolute from the hierarchy's root) in every hierarchy. */
export function containerDirsAt(layout: CgroupLayout, path: string): ContainerDirs {
  if (layout.version === 2) {
    const dir = join(layout.root, path);
    return { cpu: dir, memory: dir, io: dir, pids: dir };
  }
  return {
    cpu: join(layout.cpuacct, path),
    memory: join(layout.memory, path),
    io: layout.blkio === undefined ? undefined : join(layout.blkio, path),
    pids: layout.pids === undefined ? undefined : join(layout.pids, path),
  };
}

/**
 * Finds a container's cgroup directories: at the driver's usual place (the detected driver first), else, when
 * its init `pid` is known, where /proc/<pid>/cgroup says (a `--cgroup-parent`, another engine's naming).
 * Undefined when none exists: the container is not running, or its cgroup is somewhere this cannot see.
 */
export function locateContainer(layout: CgroupLayout, id: string, pid?: number): ContainerDirs | undefined {
  const drivers: CgroupDriver[] = layout.driver === 'systemd' ? ['systemd', 'cgroupfs'] : ['cgroupfs', 'systemd'];
  for (const driver of drivers) {
    const dirs = containerDirsAt(layout, cgroupPathOf(id, driver, layout.engine));
    if (existsSync(dirs.cpu) && existsSync(dirs.memory)) return dirs;
  }
  if (pid === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(join(layout.procRoot, String(pid), 'cgroup'), 'utf8');
  } catch {
    return undefined;
  }
  const entries = parseProcCgroup(text);
  if (!entries.ok) return undefined;
  const dirs = dirsFromProcCgroup(layout, entries.value);
  return dirs && existsSync(dirs.cpu) && existsSync(dirs.memory) ? dirs : undefined;
}

/**
 * The directories /proc/<pid>/cgroup names, or undefined when it does not name them as paths from the
 * hierarchy's root (a path with `..` is relative to a cgroup namespace this process is inside).
 */
export function dirsFromProcCgroup(
  layout: CgroupLayout,
  entries: readonly { controllers: string[]; path: string }[],
): ContainerDirs | undefined {
  const usable = (p: string | undefined): p is string => p !== undefined && p.startsWith('/') && !p.split('/').includes('..');
  if (layout.version === 2) {
    const path = entries.find((e) => e.controllers.length === 0)?.path;
    return usable(path) ? containerDirsAt(layout, path) : undefined;
  }
  const pathOf = (controller: string): string | undefined => entries.find((e) => e.controllers.includes(controller))?.path;
  const cpu = pathOf('cpuacct');
  const memory = pathOf('memory');
  if (!usable(cpu) || !usable(memory)) return undefined;
  const blkio = pathOf('blkio');
  const pids = pathOf('pids');
  return {
    cpu: join(layout.cpuacct, cpu),
    memory: join(layout.memory, memory),
    io: layout.blkio !== undefined && usable(blkio) ? join(layout.blkio, blkio) : undefined,
    pids: layout.pids !== undefined && usable(pids) ? join(layout.pids, pids) : undefined,
  };
}

/** One line for the start-up log. */
export function describeLayout(layout: CgroupLayout): string {
  const driver = `${layout.engine === 'podman' ? 'Podman, ' : ''}${layout.driver === undefined ? 'driver not yet seen' : `${layout.driver} driver`}`;
  const where = layout.version === 2 ? layout.root : layout.memory.replace(/\/memory$/, '');
  return `cgroup v${layout.version} at ${where} (${driver}), /proc at ${layout.procRoot}`;
}

function subtreeOnly(m: MountEntry): string {
  return `only the subtree ${m.root} of the cgroup tree is mounted at ${m.mountPoint} (a cgroup namespace): mount the host's /sys/fs/cgroup and set the cgroup root`;
}
