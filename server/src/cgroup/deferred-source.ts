/**
 * `DOCKPULSE_SOURCE=auto` on a host where nothing ran at start: only a running container can prove that the
 * cgroup files are this engine's, so stats come from the Docker API until one runs. Then the files are
 * checked once more, and if they prove out, every watch moves to the cgroup source, those already open
 * included; if they do not, the API stays for good.
 */
import type { ContainerState, Result } from '@dockpulse/shared';
import type { BatchEndListener, StatsSink, StatsUpstream, StreamCounters } from '../source/source.js';
import type { Logger } from '../log.js';

/** The container list, as far as deciding needs it. */
export interface RunningList {
  all(): readonly { id: string; state: ContainerState }[];
  onChange(fn: () => void): () => void;
}

/**
 * Checks the cgroup files with the running containers `ids`: the upstream to read from, or why not, and
 * whether that answer is final (`retry: true` when there was still nothing to check with).
 */
export type CgroupCheck = (
  ids: readonly string[],
) => Result<StatsUpstream & { streams: StreamCounters }, { reason: string; retry: boolean }>;

interface Watch {
  id: string;
  sink: StatsSink;
  /** Ends the watch on the upstream that serves it now. */
  inner: AbortController;
}

export class DeferredCgroupSource implements StatsUpstream {
  private current: StatsUpstream;
  private readonly watches = new Set<Watch>();
  private readonly batchListeners = new Set<BatchEndListener>();
  private offList: (() => void) | undefined;
  private upgraded: (StatsUpstream & { streams: StreamCounters }) | undefined;
  /** The files proved out, or proved not to: nothing more to decide. */
  private decided = false;
  /** Watches opened and open, over both upstreams. */
  readonly streams: StreamCounters;

  constructor(
    api: StatsUpstream & { streams: StreamCounters },
    private readonly list: RunningList,
    private readonly check: CgroupCheck,
    private readonly log: Logger,
  ) {
    this.current = api;
    const upgraded = (): StreamCounters | undefined => this.upgraded?.streams;
    this.streams = {
      get open() {
        return api.streams.open + (upgraded()?.open ?? 0);
      },
      get opened() {
        return api.streams.opened + (upgraded()?.opened ?? 0);
      },
    };
    this.offList = list.onChange(() => this.decide());
    this.decide();
  }

  /** Which upstream serves watches now. */
  get source(): 'docker' | 'cgroup' {
    return this.upgraded === undefined ? 'docker' : 'cgroup';
  }

  watch(id: string, sink: StatsSink, signal: AbortSignal): void {
    if (signal.aborted) return;
    const w: Watch = { id, sink, inner: new AbortController() };
    this.watches.add(w);
    signal.addEventListener(
      'abort',
      () => {
        this.watches.delete(w);
        w.inner.abort();
      },
      { once: true },
    );
    this.current.watch(id, sink, w.inner.signal);
  }

  onBatchEnd(listener: BatchEndListener): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  /** Stops listening to the list (the watches end with their own signals). */
  close(): void {
    this.decided = true;
    this.offList?.();
    this.offList = undefined;
  }

  private decide(): void {
    if (this.decided) return;
    const running = this.list.all().filter((c) => c.state === 'running');
    if (running.length === 0) return;
    const checked = this.check(running.map((c) => c.id));
    if (!checked.ok) {
      if (checked.error.retry) return;
      this.log.info('reading stats from the Docker API', { reason: checked.error.reason });
      this.close();
      return;
    }
    this.close();
    const next = checked.value;
    this.upgraded = next;
    this.current = next;
    next.onBatchEnd?.((last) => {
      for (const listener of this.batchListeners) listener(last);
    });
    this.log.info('reading stats from the cgroup files: a running container proved them', { moved: this.watches.size });
    // Each open watch leaves the API stream and continues on the files, with the same sink.
    for (const w of this.watches) {
      w.inner.abort();
      w.inner = new AbortController();
      next.watch(w.id, w.sink, w.inner.signal);
    }
  }
}
