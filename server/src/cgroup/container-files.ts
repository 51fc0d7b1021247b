/** The stats files of one container's cgroup, held open between reads. */
import { join } from 'node:path';
import type { ContainerDirs } from './layout.js';
import { HeldFile, ReadBuffer, type FdBudget } from './small-file.js';

/**
 * Where every container's stats files are read: one buffer per file, each reused from one container to the
 * next. After `ContainerFiles.read`, each holds that container's file; `length` is -1 for a file that was not
 * read (the limit, when not asked for) or that this kernel does not have:
 * - `cpu`: v1 `cpuacct.usage`, v2 `cpu.stat`;
 * - `memUsage`: v1 `memory.usage_in_bytes`, v2 `memory.current`;
 * - `memLimit`: v1 `memory.limit_in_bytes`, v2 `memory.max`;
 * - `io`: v1 `blkio.throttle.io_service_bytes` (else `…_recursive`), v2 `io.stat`; none without an io controller.
 */
export class ContainerBuffers {
  readonly cpu = new ReadBuffer();
  readonly memUsage = new ReadBuffer();
  readonly memLimit = new ReadBuffer();
  readonly memStat = new ReadBuffer();
  readonly io = new ReadBuffer();
  readonly pids = new ReadBuffer();
}

/** File names per cgroup version; `io` lists alternatives, the first that exists wins. */
export const STATS_FILES = {
  1: {
    cpu: 'cpuacct.usage',
    memUsage: 'memory.usage_in_bytes',
    memLimit: 'memory.limit_in_bytes',
    memStat: 'memory.stat',
    // containerd (so dockerd) reads the plain file; for a container's own cgroup, with no children, the two agree.
    io: ['blkio.throttle.io_service_bytes', 'blkio.throttle.io_service_bytes_recursive'],
    pids: 'pids.current',
  },
  2: {
    cpu: 'cpu.stat',
    memUsage: 'memory.current',
    memLimit: 'memory.max',
    memStat: 'memory.stat',
    io: ['io.stat'],
    pids: 'pids.current',
  },
} as const;

/**
 * One container's stats files. The first read opens them; `close` releases every descriptor.
 */
export class ContainerFiles {
  private readonly cpu: HeldFile;
  private readonly memUsage: HeldFile;
  private readonly memLimit: HeldFile;
  private readonly memStat: HeldFile;
  private readonly io: OptionalFile;
  private readonly pids: OptionalFile;

  constructor(
    version: 1 | 2,
    readonly dirs: ContainerDirs,
    budget: FdBudget,
  ) {
    const names = STATS_FILES[version];
    this.cpu = new HeldFile(join(dirs.cpu, names.cpu), budget);
    this.memUsage = new HeldFile(join(dirs.memory, names.memUsage), budget);
    this.memLimit = new HeldFile(join(dirs.memory, names.memLimit), budget);
    this.memStat = new HeldFile(join(dirs.memory, names.memStat), budget);
    this.io = new OptionalFile(dirs.io === undefined ? [] : names.io.map((n) => join(dirs.io!, n)), budget);
    this.pids = new OptionalFile(dirs.pids === undefined ? [] : [join(dirs.pids, names.pids)], budget);
  }

  /**
   * Reads every file into `into`, the memory limit only when `withLimit` (it changes only when someone changes
   * it). False when the cgroup is gone (the container stopped or is restarting).
   */
  read(into: ContainerBuffers, withLimit = true): boolean {
    // CPU first: it is the figure compared with the host CPU time read just before.
    if (!this.cpu.read(into.cpu) || !this.memUsage.read(into.memUsage)) return false;
    if (withLimit) {
      if (!this.memLimit.read(into.memLimit)) return false;
    } else {
      into.memLimit.length = -1;
    }
    return this.memStat.read(into.memStat) && this.io.read(into.io) && this.pids.read(into.pids);
  }

  close(): void {
    for (const f of [this.cpu, this.memUsage, this.memLimit, this.memStat, this.io, this.pids]) f.close();
  }
}

/**
 * A file that this cgroup may not have (no io controller enabled for it on v2, an older kernel's name on
 * v1): alternatives are tried in order until one exists, and if none does it is not looked for again. Once
 * read, its disappearance means the cgroup went away in the middle of a read.
 */
class OptionalFile {
  private file: HeldFile | undefined;
  private seen = false;

  constructor(
    private readonly alternatives: string[],
    private readonly budget: FdBudget,
  ) {
    this.file = this.next();
  }

  /** Reads the file into `into` (length -1 when it has none); false when it was there and is gone. */
  read(into: ReadBuffer): boolean {
    while (this.file !== undefined) {
      if (this.file.read(into)) {
        this.seen = true;
        return true;
      }
      if (this.seen) return false;
      this.file = this.next();
    }
    into.length = -1;
    return true;
  }

  close(): void {
    this.file?.close();
  }

  private next(): HeldFile | undefined {
    const path = this.alternatives.shift();
    return path === undefined ? undefined : new HeldFile(path, this.budget);
  }
}
