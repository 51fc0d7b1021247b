/**
 * The live model of a view of one container (a share link's page, an embed), as signals: which container the
 * socket shows, its samples and state, or why there is none. Which container that is, and which samples are
 * new, is the core's `ContainerWatcher`'s to decide; this keeps what it says for the view to draw.
 */
import { ErrorCode, type ContainerSummary, type ServerMessage } from '@dockpulse/shared';
import { ContainerWatcher, SCOPE_TARGET, type WatchProblem, type WatchedContainer } from '../client/container-watch.js';
import type { FeedClient } from '../client/feed-client.js';
import { displayState, topicDisplayState, type StateView } from './container-state.js';
import { FeedStatus } from './feed-status.svelte.js';
import { LiveSeries, ringCapacity } from './live-series.svelte.js';

const DEFAULT_HISTORY_MS = 15 * 60_000;

export class ContainerFeed extends FeedStatus {
  /** The container shown: its host, id and name. Null until known. */
  target: WatchedContainer | null = $state.raw(null);
  /** Docker's list entry for it, when the socket may see the list (not with a share token). */
  summary: ContainerSummary | null = $state.raw(null);
  /** Its samples; replaced when the view moves to another container (a followed name re-created). */
  series: LiveSeries | null = $state.raw(null);
  /** Why there is no container to show although the socket is fine. */
  missing: WatchProblem | null = $state(null);
  /** Its state: from the list and the topic with full access, from the topic alone with a share token. */
  view: StateView | null = $derived(
    this.summary ? displayState(this.summary, this.series?.topicState ?? null) : topicDisplayState(this.series?.topicState ?? null),
  );
  /** The Docker engine does not answer. */
  engineDown = $derived(this.series?.topicState === 'unavailable');

  readonly #target: string;

  /**
   * `target`: a full id, a name or a unique id prefix, on any host or as `<host>/<ref>` on one, or `-` for the
   * share token's container.
   */
  constructor(client: FeedClient, target: string = SCOPE_TARGET) {
    super(client);
    this.#target = target;
  }

  /** Connects and keeps the model live; returns the function that stops it and closes the socket. */
  start(): () => void {
    // Status first, so that `hello` is known when the watcher hands out what it says.
    const offs = [this.trackStatus()];
    const watcher = new ContainerWatcher(this.client);
    offs.push(
      () => watcher.close(),
      watcher.watch(this.#target, {
        container: (c) => this.#show(c),
        summary: (s) => {
          this.summary = s;
        },
        samples: (samples) => this.series?.receive(samples),
        state: (state) => this.series?.setTopicState(state),
        problem: (problem) => {
          this.missing = problem;
        },
      }),
      this.client.on('message', (msg) => this.#afterFrame(msg)),
      this.client.on('invalid', (reason) => console.warn('dockpulse: ignored a frame the client cannot parse:', reason)),
    );
    this.client.connect();
    return () => {
      for (const off of offs) off();
      this.client.close();
    };
  }

  /** The view moves to a container: a new one starts a new series. */
  #show(c: WatchedContainer): void {
    this.missing = null;
    if (this.series?.id !== c.id || this.series.host !== c.host) {
      const capacity = ringCapacity(this.hello?.historyMs ?? DEFAULT_HISTORY_MS, this.intervalMs);
      this.series = new LiveSeries(c.host, c.id, capacity, this.intervalMs);
    }
    this.target = { host: c.host, id: c.id, name: c.name };
  }

  #afterFrame(msg: ServerMessage): void {
    if (msg.type === 'hello') this.series?.configure(ringCapacity(msg.historyMs, msg.intervalMs), msg.intervalMs);
    else if (msg.type === 'error' && msg.code !== ErrorCode.notFound && msg.req === undefined) {
      console.warn(`dockpulse: server error ${msg.code}: ${msg.message}`, msg.topic ?? '');
    }
    this.frameArrived();
  }
}
