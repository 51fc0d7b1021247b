import { randomBytes } from 'node:crypto';
import type { ContainerSummary, EngineStatus, Sample, TopicState } from '@dockpulse/shared';
import { listStateOf, type ContainerDirectory, type StatsSink, type StatsSource, type StreamCounters } from '../source/source.js';

const ENDPOINT = 'fake:///engine';

/** The fake host's name, which its containers and samples carry. */
export const FAKE_HOST = 'fake';

/** A container as the list shows it: a random full id, running, unless `overrides` say otherwise. */
export function fakeContainer(name: string, overrides: Partial<ContainerSummary> = {}): ContainerSummary {
  return {
    host: FAKE_HOST,
    id: randomBytes(32).toString('hex'),
    name,
    image: 'local/busybox:latest',
    state: 'running',
    status: 'Up 1 second',
    createdAt: Date.now(),
    ...overrides,
  };
}

/** A plausible sample of container `id` read at `t`. */
export function fakeSample(id: string, t: number = Date.now()): Sample {
  return {
    host: FAKE_HOST,
    id,
    t,
    cpu: 12.5,
    mem: { used: 4096, limit: 8192, percent: 50 },
    net: { rx: 100, tx: 200, rxRate: 10, txRate: 20 },
    blk: { read: 300, write: 400, readRate: 30, writeRate: 40 },
    pids: 3,
  };
}

interface Watch {
  sink: StatsSink;
  last: TopicState | undefined;
}

/** The fake host's container list, changed only by `FakeSource`. */
class FakeDirectory implements ContainerDirectory {
  readonly list = new Map<string, ContainerSummary>();
  engineStatus: EngineStatus;
  isReady: boolean;
  readonly isSettled = true;
  private readonly listeners = new Set<() => void>();

  constructor(containers: readonly ContainerSummary[], down: boolean) {
    for (const c of containers) this.list.set(c.id, c);
    this.isReady = !down;
    this.engineStatus = down ? { status: 'down', endpoint: ENDPOINT, error: 'connection refused' } : { status: 'up', endpoint: ENDPOINT };
  }

  get(id: string): ContainerSummary | undefined {
    return this.list.get(id);
  }

  all(): ContainerSummary[] {
    return [...this.list.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

/**
 * A stats source that a test holds in its hands, where the Docker engine would be: it adds and removes
 * containers, says whether the host answers, and pushes samples and states to the containers someone watches.
 * Watched containers get the state the list implies, as the real sources do, so everything downstream (hub,
 * transport, HTTP) runs as it does against an engine.
 */
export class FakeSource implements StatsSource {
  readonly host = FAKE_HOST;
  readonly via = 'engine' as const;
  readonly describe = { docker: ENDPOINT, source: 'fake' };
  readonly streams: StreamCounters = { open: 0, opened: 0 };
  private readonly directory: FakeDirectory;
  private readonly watches = new Map<string, Set<Watch>>();

  /**
   * @param options.containers the list when the host first answers
   * @param options.down the first attempt to reach the host failed, so the list was never read
   */
  constructor(options: { containers?: readonly ContainerSummary[]; down?: boolean } = {}) {
    this.directory = new FakeDirectory(options.containers ?? [], options.down ?? false);
  }

  get containers(): ContainerDirectory {
    return this.directory;
  }

  /** Adds a container (or replaces the one with its id). */
  add(container: ContainerSummary): ContainerSummary {
    this.directory.list.set(container.id, container);
    this.changed();
    return container;
  }

  /** Changes fields of a listed container, as an engine event would (a rename, a stop). */
  update(id: string, fields: Partial<Omit<ContainerSummary, 'id'>>): void {
    const c = this.directory.list.get(id);
    if (!c) throw new Error(`no container ${id} to update`);
    this.directory.list.set(id, { ...c, ...fields });
    this.changed();
  }

  /** Removes a container; its watchers are told `removed`. */
  remove(id: string): void {
    this.directory.list.delete(id);
    this.changed();
  }

  /** The host stops answering; the last list is kept. */
  goDown(error = 'connection refused'): void {
    this.directory.engineStatus = { status: 'down', endpoint: ENDPOINT, error };
    this.changed();
  }

  /** The host answers again, with the list as it now is. */
  comeUp(): void {
    this.directory.engineStatus = { status: 'up', endpoint: ENDPOINT };
    this.directory.isReady = true;
    this.changed();
  }

  /** Pushes a sample to every watcher of `id`; returns how many there were. */
  push(id: string, sample: Sample = fakeSample(id)): number {
    const watches = this.watches.get(id);
    for (const w of watches ?? []) w.sink.sample(sample);
    return watches?.size ?? 0;
  }

  /** Pushes a state to every watcher of `id`, as a source that learns it from the stream itself would. */
  pushState(id: string, state: TopicState): void {
    for (const w of [...(this.watches.get(id) ?? [])]) this.emit(id, w, state);
  }

  /** True while someone watches container `id`. */
  isWatched(id: string): boolean {
    return (this.watches.get(id)?.size ?? 0) > 0;
  }

  watch(id: string, sink: StatsSink, signal: AbortSignal): void {
    if (signal.aborted) return;
    const w: Watch = { sink, last: undefined };
    let set = this.watches.get(id);
    if (!set) this.watches.set(id, (set = new Set()));
    set.add(w);
    this.streams.open++;
    this.streams.opened++;
    signal.addEventListener('abort', () => this.end(id, w), { once: true });
    const state = listStateOf(this.containers, id);
    if (state !== undefined) this.emit(id, w, state);
  }

  /** Announces the list, as a first reading of it would; then keeps nothing live (the test does) until `signal` aborts. */
  run(signal: AbortSignal): Promise<void> {
    this.directory.notify();
    return new Promise((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  private changed(): void {
    for (const [id, set] of this.watches) {
      const state = listStateOf(this.containers, id);
      if (state !== undefined) for (const w of [...set]) this.emit(id, w, state);
    }
    this.directory.notify();
  }

  private emit(id: string, w: Watch, state: TopicState): void {
    if (w.last === state) return;
    w.last = state;
    w.sink.state(state);
    // `removed` ends the watch, as it does for the engine's sources.
    if (state === 'removed') this.end(id, w);
  }

  private end(id: string, w: Watch): void {
    const set = this.watches.get(id);
    if (!set?.delete(w)) return;
    this.streams.open--;
    if (set.size === 0) this.watches.delete(id);
  }
}
