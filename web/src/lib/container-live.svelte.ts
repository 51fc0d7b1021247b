/**
 * Live state of one container as the dashboard holds it. Each field is its own signal, so a row re-renders
 * when its own container's sample arrives, and the overview re-sorts only when a sort key moves.
 */
import { toColumns, type Columns, type ContainerSummary, type Sample, type TopicState } from '@dockpulse/shared';
import { displayState, type StateView } from './container-state.js';
import { LiveSeries } from './live-series.svelte.js';
import { NO_KEYS, SortSmoother, type SortKeys } from './sort.js';

/** How much of the recent past a sparkline shows. */
export const SPARK_WINDOW_MS = 2 * 60_000;

const EMPTY_SPARK: Columns = [[], []];

export class ContainerLive extends LiveSeries {
  summary: ContainerSummary;
  /** Gone from Docker's list; kept only while a view shows it. */
  removed = $state(false);
  /** Its host does not answer (its agent is silent, or its engine down): what is shown of it is its last state. */
  hostDown = $state(false);
  /** CPU over the last `SPARK_WINDOW_MS`, replaced on every new sample. */
  spark: Columns = $state.raw(EMPTY_SPARK);
  sortKeys: SortKeys = $state.raw(NO_KEYS);
  view: StateView;

  readonly #smoother = new SortSmoother();

  constructor(summary: ContainerSummary, capacity: number, intervalMs: number) {
    super(summary.host, summary.id, capacity, intervalMs);
    this.summary = $state.raw(summary);
    this.view = $derived(displayState(this.removed ? undefined : this.summary, this.topicState, this.hostDown));
  }

  /** The container's name, from its list entry. */
  get name(): string {
    return this.summary.name;
  }

  /** Applies a list entry; a change of state makes the list the fresher source again. */
  setSummary(next: ContainerSummary): void {
    const cur = this.summary;
    if (cur.state !== next.state || cur.health !== next.health) this.topicState = null;
    if (!sameSummary(cur, next)) this.summary = next;
    if (this.removed) this.removed = false;
  }

  override setTopicState(state: TopicState): void {
    super.setTopicState(state);
    if (state === 'stopped' || state === 'removed') {
      // A stopped container has no load; its old keys would keep it high in a CPU sort.
      this.#smoother.reset();
      this.sortKeys = NO_KEYS;
    }
  }

  override configure(capacity: number, intervalMs: number): boolean {
    const resized = super.configure(capacity, intervalMs);
    if (resized) this.spark = EMPTY_SPARK;
    return resized;
  }

  override receive(samples: readonly Sample[]): Sample[] {
    const added = super.receive(samples);
    const newest = added.at(-1);
    if (!newest) return added;
    let keysMoved = false;
    for (const s of added) if (this.#smoother.update(s)) keysMoved = true;
    this.spark = toColumns(this.ring, {
      fields: ['cpu'],
      intervalMs: this.intervalMs,
      fromMs: newest.t - SPARK_WINDOW_MS,
    });
    if (keysMoved) this.sortKeys = this.#smoother.keys;
    return added;
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
