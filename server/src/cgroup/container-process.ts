/**
 * A container's init process, for its network counters: its pid comes from the engine (inspect), its network
 * namespace from /proc.
 */
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isObject } from '@dockpulse/shared';
import type { Engine } from '../docker/engine.js';
import { HeldFile, readSmallFile, type FdBudget, type ReadBuffer } from './small-file.js';
import { parseNetDevBytes, parseParentPid, type NetTotals } from './proc-parse.js';

/** A container's init pid as the host sees it; undefined when it is not running. Rejects when the engine cannot say. */
export type PidLookup = (id: string, signal: AbortSignal) => Promise<number | undefined>;

/**
 * Looks pids up with `GET /containers/{id}/json`. Only `State.Pid` is read: the rest of that answer holds the
 * container's environment and mounts, and is dropped here, never kept, logged or passed on.
 */
export function enginePidLookup(engine: Engine): PidLookup {
  return async (id, signal) => {
    const info: unknown = await engine.docker.getContainer(id).inspect({ abortSignal: signal } as object);
    const state = isObject(info) ? info['State'] : undefined;
    const pid = isObject(state) ? state['Pid'] : undefined;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
}

/** Where a container's network counters are read. */
export interface ContainerProcess {
  pid: number;
  /**
   * True when the container shares the host's network namespace (`--network host`, or `container:` of such a
   * one): dockerd reports no networks for it, and its /proc/<pid>/net/dev would be the host's traffic.
   */
  hostNetwork: boolean;
}

/**
 * Describes the process `pid` under `procRoot`. Its namespace is compared with its parent's, the
 * containerd shim, which always runs in the engine's (the host's) network namespace. /proc/1 would be the
 * obvious reference, but it is often unreadable even to root (a sandbox, a hardened init).
 */
export function describeProcess(procRoot: string, pid: number): ContainerProcess {
  const netNs = (p: number): string | undefined => {
    try {
      return readlinkSync(join(procRoot, String(p), 'ns', 'net'));
    } catch {
      return undefined;
    }
  };
  const stat = readSmallFile(join(procRoot, String(pid), 'stat'));
  const ppid = stat === undefined ? undefined : parseParentPid(stat);
  const own = netNs(pid);
  const parent = ppid?.ok ? netNs(ppid.value) : undefined;
  return { pid, hostNetwork: own !== undefined && own === parent };
}

/**
 * A container's network totals, from its init process's /proc/<pid>/net/dev held open for one run of the
 * container. An open net/dev holds the process's network namespace, not the process: after the container stops
 * it goes on answering with the namespace's frozen counters, and keeps the namespace alive. So whoever holds
 * one closes it as soon as the run ends, which the cgroup files say first (their reads fail once the cgroup is
 * removed) and the container list says next; a restart is a new run, with a new process and namespace.
 */
export class ProcessNet {
  private readonly file: HeldFile | undefined;

  constructor(procRoot: string, proc: ContainerProcess, budget: FdBudget) {
    // A host-network container's net/dev would be the host's traffic: nothing is read for it.
    this.file = proc.hostNetwork ? undefined : new HeldFile(join(procRoot, String(proc.pid), 'net', 'dev'), budget);
  }

  /** The totals (0 for a host-network container, as dockerd reports none), or undefined when the process is gone. */
  read(into: ReadBuffer): NetTotals | undefined {
    if (this.file === undefined) return { rx: 0, tx: 0 };
    // An exiting process can still be opened but has no namespace left to describe.
    if (!this.file.read(into) || into.length === 0) {
      this.file.close();
      return undefined;
    }
    const parsed = parseNetDevBytes(into.bytes, into.length);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  }

  close(): void {
    this.file?.close();
  }
}
