/**
 * The hosts a gateway serves, each a stats source: the local engine, remote engines, agents heard on the bus.
 * Hosts come and go (an agent is heard for the first time, or forgotten); every container belongs to one, and
 * the rest of the gateway reads the containers of all of them here, as one list, and watches a container by
 * host and id.
 */
import type { ContainerSummary, EngineStatus, HostInfo } from '@dockpulse/shared';
import type { BatchEndListener, StatsSink, StatsSource } from '../source/source.js';

/** What the hub asks of its upstream: one container's stats, by host and id. */
export interface HostUpstream {
  watch(host: string, id: string, sink: StatsSink, signal: AbortSignal): void;
  onBatchEnd?(listener: BatchEndListener): () => void;
}

interface Entry {
  source: StatsSource;
  off: () => void;
  offBatch: (() => void) | undefined;
  /** When the host was last seen answering, for hosts that do not say so themselves. */
  lastUp: number | null;
}

/** Sorts containers by name, then host, as every list the gateway sends is sorted. */
function byNameThenHost(a: ContainerSummary, b: ContainerSummary): number {
  return a.name.localeCompare(b.name) || a.host.localeCompare(b.host);
}

export class HostSet implements HostUpstream {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private readonly batchListeners = new Set<BatchEndListener>();
  private cached: ContainerSummary[] | undefined;

  /** @param now the clock, for `lastSeen` */
  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a host. Its name must be new: two hosts of one name are a mistake the caller must catch. */
  add(source: StatsSource): void {
    if (this.entries.has(source.host)) throw new Error(`host "${source.host}" is already served`);
    const entry: Entry = {
      source,
      lastUp: source.containers.engineStatus.status === 'up' ? this.now() : null,
      off: () => {},
      offBatch: undefined,
    };
    entry.off = source.containers.onChange(() => {
      if (source.containers.engineStatus.status === 'up' || entry.lastUp === null) {
        entry.lastUp = source.containers.engineStatus.status === 'up' ? this.now() : entry.lastUp;
      }
      this.changed();
    });
    entry.offBatch = source.onBatchEnd?.((last) => {
      for (const listener of this.batchListeners) listener(last);
    });
    this.entries.set(source.host, entry);
    this.changed();
  }

  /** Forgets a host: its watches end as their source ends them, and its containers leave the list. */
  remove(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    entry.off();
    entry.offBatch?.();
    this.entries.delete(name);
    this.changed();
  }

  /** The source of one host. */
  get(name: string): StatsSource | undefined {
    return this.entries.get(name)?.source;
  }

  /** Every host's source, by name. */
  sources(): StatsSource[] {
    return [...this.entries.values()].map((e) => e.source).sort((a, b) => a.host.localeCompare(b.host));
  }

  get size(): number {
    return this.entries.size;
  }

  /** True once every host's first attempt to be reached has settled. */
  get isSettled(): boolean {
    for (const e of this.entries.values()) if (!e.source.containers.isSettled) return false;
    return true;
  }

  /** Every host, sorted by name, as `GET /api/hosts` and the `containers` message carry them. */
  hosts(): HostInfo[] {
    const out: HostInfo[] = [];
    for (const { source, lastUp } of this.entries.values()) {
      const list = source.containers;
      const all = list.all();
      const up = list.engineStatus.status === 'up';
      const info: HostInfo = {
        name: source.host,
        state: up ? 'up' : 'unavailable',
        lastSeen: source.lastSeen !== undefined ? source.lastSeen : up ? this.now() : lastUp,
        containers: all.length,
        running: all.filter((c) => c.state === 'running').length,
        engine: list.engineStatus,
        via: source.via,
      };
      if (source.conflict !== undefined) info.conflict = source.conflict;
      out.push(info);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * The engine status the first version's `containers.engine` reports: with one host, its own; with several,
   * `up` while all answer, else `down` naming those that do not.
   */
  engineStatus(): EngineStatus {
    const sources = this.sources();
    if (sources.length === 1) return sources[0]!.containers.engineStatus;
    const down = sources.filter((s) => s.containers.engineStatus.status === 'down').map((s) => s.host);
    const endpoint = `${sources.length} hosts`;
    if (sources.length === 0) return { status: 'down', endpoint: 'no hosts', error: 'no host has been heard from yet' };
    return down.length === 0 ? { status: 'up', endpoint } : { status: 'down', endpoint, error: `not answering: ${down.join(', ')}` };
  }

  /** Every container of every host, sorted by name, then host. */
  all(): ContainerSummary[] {
    if (this.cached) return this.cached;
    const out: ContainerSummary[] = [];
    for (const { source } of this.entries.values()) out.push(...source.containers.all());
    this.cached = out.sort(byNameThenHost);
    return this.cached;
  }

  /** One container on one host. */
  find(host: string, id: string): ContainerSummary | undefined {
    return this.entries.get(host)?.source.containers.get(id);
  }

  /** One container's labels, where its host gives them; for the gateway's own use, never for clients. */
  labelsOf(host: string, id: string): Readonly<Record<string, string>> | undefined {
    return this.entries.get(host)?.source.containers.labels?.(id);
  }

  /** The hosts whose list has a container of this full id (normally one). */
  hostsWithId(id: string): string[] {
    const out: string[] = [];
    for (const { source } of this.entries.values()) if (source.containers.get(id)) out.push(source.host);
    return out;
  }

  /** The container of this name on one host. */
  findByName(host: string, name: string): ContainerSummary | undefined {
    return this.entries
      .get(host)
      ?.source.containers.all()
      .find((c) => c.name === name);
  }

  /** Calls `fn` after any host's list or status changes, and when a host comes or goes. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Watches a container of a host. A host not served (any more) has no containers: the watch ends at once
   * with `removed`.
   */
  watch(host: string, id: string, sink: StatsSink, signal: AbortSignal): void {
    const source = this.entries.get(host)?.source;
    if (!source) {
      if (!signal.aborted) sink.state('removed');
      return;
    }
    source.watch(id, sink, signal);
  }

  onBatchEnd(listener: BatchEndListener): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  private changed(): void {
    this.cached = undefined;
    for (const fn of [...this.listeners]) fn();
  }
}
