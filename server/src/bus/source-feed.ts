/**
 * Every container of one host, watched straight from its source, for an agent that only forwards samples. A
 * gateway's hub keeps, for each container, a ring of recent samples, its state and its subscribers' queues; an
 * agent needs none of that, since gateways keep the history and serve the clients.
 */
import type { Sample } from '@dockpulse/shared';
import type { StatsSource } from '../source/source.js';

/** Where an agent's samples come from: a gateway's hub, or a `SourceFeed`. */
export interface SampleFeed {
  /** Calls `listener` with every sample; returns the function that stops it. */
  onSample(listener: (s: Sample) => void): () => void;
}

export class SourceFeed implements SampleFeed {
  private readonly watches = new Map<string, AbortController>();
  private readonly listeners = new Set<(s: Sample) => void>();

  constructor(private readonly source: Pick<StatsSource, 'containers' | 'watch'>) {}

  onSample(listener: (s: Sample) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Containers watched now. */
  get watching(): number {
    return this.watches.size;
  }

  /** Watches each container while the list has it; returns the function that lets go of all. */
  start(): () => void {
    const off = this.source.containers.onChange(() => this.follow());
    this.follow();
    return () => {
      off();
      for (const watch of this.watches.values()) watch.abort();
      this.watches.clear();
    };
  }

  private follow(): void {
    const listed = new Set<string>();
    for (const c of this.source.containers.all()) {
      listed.add(c.id);
      if (!this.watches.has(c.id)) this.watch(c.id);
    }
    for (const [id, watch] of this.watches) {
      if (listed.has(id)) continue;
      watch.abort();
      this.watches.delete(id);
    }
  }

  private watch(id: string): void {
    const watch = new AbortController();
    this.watches.set(id, watch);
    this.source.watch(
      id,
      {
        sample: (s) => {
          if (watch.signal.aborted) return;
          for (const listener of this.listeners) listener(s);
        },
        state: (state) => {
          // A removed container ends its watch; a container of the same id listed again is watched anew.
          if (state !== 'removed' || this.watches.get(id) !== watch) return;
          watch.abort();
          this.watches.delete(id);
        },
      },
      watch.signal,
    );
  }
}
