/**
 * Live state of one container as the dashboard holds it. Each field is its own signal, so a row re-renders
 * when its own container's sample arrives, and the overview re-sorts only when a sort key moves.
 */
import {
  SeriesRing,
  toColumns,
  type Columns,
  type ContainerSummary,
  type Sample,
  type TopicState,
} from '@dockpulse/shared';
import { displayState, type StateView } from './container-state.js';
import { NO_KEYS, SortSmoother, type SortKeys } from './sort.js';

/** How much of the recent past a sparkline shows. */
export const SPARK_WINDOW_MS = 2 * 60_000;

const EMPTY_SPARK: Columns = [[], []];

export class ContainerLive {
  readonly id: string;
  summary: ContainerSummary;
  /** The stats topic's state, when it changed after the list entry last did. */
  topicState: TopicState | null = $state(null);
  /** Gone from Docker's list; kept only while a view shows it. */
  removed = $state(false);
  /** Newest sample. */
  latest: Sample | null = $state.raw(null);
  /** CPU over the last `SPARK_WINDOW_MS`, replaced on every new sample. */
  spark: Columns = $state.raw(EMPTY_SPARK);
  sortKeys: SortKeys = $state.raw(NO_KEYS);
  /** Bumped whenever `ring` changed: what a chart's data derives from. */
  revision = $state(0);
  view: StateView;

  /** Recent samples, oldest first. Not reactive itself: read `revision` to follow it. */
  ring: SeriesRing;
  readonly #smoother = new SortSmoother();
  #intervalMs: number;

  constructor(summary: ContainerSummary, capacity: number, intervalMs: number) {
    this.id = summary.id;
    this.summary = $state.raw(summary);
    this.view = $derived(displayState(this.removed ? undefined : this.summary, this.topicState));
    this.ring = new SeriesRing(capacity);
    this.#intervalMs = intervalMs;
  }

  /** Applies a list entry; a change of state makes the list the fresher source again. */
  setSummary(next: ContainerSummary): void {
    const cur = this.summary;
    if (cur.state !== next.state || cur.health !== next.health) this.topicState = null;
    if (!sameSummary(cur, next)) this.summary = next;
    if (this.removed) this.removed = false;
  }

  setTopicState(state: TopicState): void {
    this.topicState = state;
    if (state === 'stopped' || state === 'removed') {
      // A stopped container has no load; its old keys would keep it high in a CPU sort.
      this.#smoother.reset();
      this.sortKeys = NO_KEYS;
    }
  }

  /** Server settings from `hello`; a different history length resizes the ring (dropping its samples). */
  configure(capacity: number, intervalMs: number): void {
    this.#intervalMs = intervalMs;
    if (capacity !== this.ring.capacity) {
      this.ring = new SeriesRing(capacity);
      this.latest = null;
      this.spark = EMPTY_SPARK;
      this.revision++;
    }
  }

  /** Takes samples of this container, oldest first (a `history`, or this container's part of a `stats`). */
  receive(samples: readonly Sample[]): void {
    let newest: Sample | undefined;
    let keysMoved = false;
    for (const s of samples) {
      if (!this.ring.push(s)) continue;
      newest = s;
      if (this.#smoother.update(s)) keysMoved = true;
    }
    if (!newest) return;
    if (this.topicState === 'stopped' || this.topicState === 'unavailable') this.topicState = null;
    this.latest = newest;
    this.spark = toColumns(this.ring, {
      fields: ['cpu'],
      intervalMs: this.#intervalMs,
      fromMs: newest.t - SPARK_WINDOW_MS,
    });
    if (keysMoved) this.sortKeys = this.#smoother.keys;
    this.revision++;
  }
}

function sameSummary(a: ContainerSummary, b: ContainerSummary): boolean {
  return (
    a.name === b.name &&
    a.image === b.image &&
    a.state === b.state &&
    a.status === b.status &&
    a.health === b.health &&
    a.createdAt === b.createdAt &&
    a.compose?.project === b.compose?.project &&
    a.compose?.service === b.compose?.service
  );
}
