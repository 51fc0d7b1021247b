/**
 * The live samples of one container as a view draws them: a ring of recent samples, the newest one, and the
 * stats topic's state. The overview's `ContainerLive` adds the container list's entry to it; the shared and
 * embedded views use it as it is.
 */
import { SeriesRing, type Sample, type TopicState } from '@dockpulse/shared';

const DEFAULT_INTERVAL_MS = 1000;

/** Samples a ring keeps: the server's history plus a minute of slack for a live view opened late. */
export function ringCapacity(historyMs: number, intervalMs: number): number {
  const interval = intervalMs > 0 ? intervalMs : DEFAULT_INTERVAL_MS;
  return Math.min(20_000, Math.ceil(historyMs / interval) + Math.ceil(60_000 / interval));
}

export class LiveSeries {
  /** The host the container is on, and its id there. */
  readonly host: string;
  readonly id: string;
  /** The stats topic's state, when it changed after the list entry last did. */
  topicState: TopicState | null = $state(null);
  /** Newest sample. */
  latest: Sample | null = $state.raw(null);
  /** Bumped whenever `ring` changed: what a chart's data derives from. */
  revision = $state(0);
  /** Recent samples, oldest first. Not reactive itself: read `revision` to follow it. */
  ring: SeriesRing;
  protected intervalMs: number;

  constructor(host: string, id: string, capacity: number, intervalMs: number) {
    this.host = host;
    this.id = id;
    this.ring = new SeriesRing(capacity);
    this.intervalMs = intervalMs;
  }

  /** Unique across hosts: `<host>/<id>`. */
  get key(): string {
    return `${this.host}/${this.id}`;
  }

  setTopicState(state: TopicState): void {
    this.topicState = state;
  }

  /**
   * Server settings from `hello`; a different history length resizes the ring (dropping its samples). Returns
   * true when it did.
   */
  configure(capacity: number, intervalMs: number): boolean {
    this.intervalMs = intervalMs;
    if (capacity === this.ring.capacity) return false;
    this.ring = new SeriesRing(capacity);
    this.latest = null;
    this.revision++;
    return true;
  }

  /**
   * Takes samples of this container, oldest first (a `history`, or this container's part of a `stats`).
   * Returns those that were new; samples already held (a `history` resent after a reconnect) are skipped.
   */
  receive(samples: readonly Sample[]): Sample[] {
    const added: Sample[] = [];
    for (const s of samples) if (this.ring.push(s)) added.push(s);
    const newest = added.at(-1);
    if (!newest) return added;
    if (this.topicState === 'stopped' || this.topicState === 'unavailable') this.topicState = null;
    this.latest = newest;
    this.revision++;
    return added;
  }
}
