/**
 * The live model of a view of one container (a share link's page, an embed): which container the socket
 * shows, its samples and state. With a share token the container is the `hello`'s scope, followed to a new id
 * when the share follows a name; with full access it is found by id or name in the container list.
 */
import {
  CONTAINERS_TOPIC,
  ErrorCode,
  STATS_TOPIC_PREFIX,
  assertNever,
  statsTopic,
  type ContainerSummary,
  type HelloMessage,
  type ServerMessage,
} from '@dockpulse/shared';
import { findContainer } from '../client/container-ref.js';
import { displayState, topicDisplayState, type StateView } from './container-state.js';
import { FeedStatus } from './feed-status.svelte.js';
import { LiveSeries, ringCapacity } from './live-series.svelte.js';
import type { FeedClient } from '../client/feed-client.js';

/** The `ref` that means "the share token's own container". */
export const SCOPE_REF = '-';

/** Why there is no container to show although the socket is fine. */
export type Missing =
  /** No container has this id or name (or it was removed). */
  | 'not_found'
  /** `-` was asked for, but the socket's access is not limited to one container (no share token). */
  | 'no_scope'
  /** The token does not allow this container. */
  | 'forbidden';

export class ContainerFeed extends FeedStatus {
  /** The container shown: id and name. Null until known. */
  target: { id: string; name: string } | null = $state.raw(null);
  /** Docker's list entry for it, when the socket may see the list (not with a share token). */
  summary: ContainerSummary | null = $state.raw(null);
  /** Its samples; replaced when the view moves to another container (a followed name re-created). */
  series: LiveSeries | null = $state.raw(null);
  missing: Missing | null = $state(null);
  /** Its state: from the list and the topic with full access, from the topic alone with a share token. */
  view: StateView | null = $derived(
    this.summary ? displayState(this.summary, this.series?.topicState ?? null) : topicDisplayState(this.series?.topicState ?? null),
  );
  /** The Docker engine does not answer. */
  engineDown = $derived(this.series?.topicState === 'unavailable');

  readonly #ref: string;

  /** `ref`: a full id, a name, a unique id prefix, or `-` for the share token's container. */
  constructor(client: FeedClient, ref: string = SCOPE_REF) {
    super(client);
    this.#ref = ref;
  }

  /** Connects and keeps the model live; returns the function that stops it and closes the socket. */
  start(): () => void {
    const offs = [
      this.trackStatus(),
      this.client.on('message', (msg) => this.#onMessage(msg)),
      this.client.on('invalid', (reason) => console.warn('dockpulse: ignored a frame the client cannot parse:', reason)),
      // After a reconnect only the samples missed are asked for.
      this.client.resumeFrom((topic) => (this.series && topic === statsTopic(this.series.id) ? this.series.ring.lastT : undefined)),
    ];
    this.client.connect();
    return () => {
      for (const off of offs) off();
      this.client.close();
    };
  }

  #onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello':
        this.#onHello(msg);
        break;
      case 'containers': {
        const found = findContainer(msg.containers, this.#ref);
        if (found) {
          this.summary = found;
          this.#show(found.id, found.name);
        } else if (msg.engine.status === 'up') {
          // Stays on the last samples when the container is removed; says so when it never existed.
          if (!this.series) this.missing = 'not_found';
          this.summary = null;
        }
        break;
      }
      case 'history':
        if (this.#isCurrent(msg.topic)) this.series?.receive(msg.samples);
        break;
      case 'stats': {
        const series = this.series;
        if (!series) break;
        const mine = msg.samples.filter((s) => s.id === series.id);
        if (mine.length > 0) series.receive(mine);
        break;
      }
      case 'state':
        if (this.#isCurrent(msg.topic)) this.series?.setTopicState(msg.state);
        break;
      case 'pong':
        break;
      case 'error':
        if (msg.topic !== undefined && this.#isCurrent(msg.topic)) {
          if (msg.code === ErrorCode.notFound) this.missing = 'not_found';
          else if (msg.code === ErrorCode.forbidden) this.missing = 'forbidden';
        }
        if (msg.code !== ErrorCode.notFound) console.warn(`dockpulse: server error ${msg.code}: ${msg.message}`, msg.topic ?? '');
        break;
      default:
        assertNever(msg);
    }
    this.frameArrived();
  }

  #onHello(msg: HelloMessage): void {
    const capacity = ringCapacity(msg.historyMs, msg.intervalMs);
    this.series?.configure(capacity, msg.intervalMs);
    const { scope } = msg;
    if (scope.kind === 'container') {
      // A share token shows its own container, whatever the address names: that is all it may see.
      this.#show(scope.id, scope.name);
      return;
    }
    if (this.#ref === SCOPE_REF) {
      this.missing = 'no_scope';
      return;
    }
    this.client.subscribe([CONTAINERS_TOPIC]);
  }

  /** Moves the view to a container: the old one's topic is dropped, the new one's subscribed. */
  #show(id: string, name: string): void {
    this.missing = null;
    if (this.target?.id === id) {
      if (this.target.name !== name) this.target = { id, name };
      return;
    }
    const old = this.series;
    if (old) this.client.unsubscribe([statsTopic(old.id)]);
    const hello = this.hello;
    this.series = new LiveSeries(id, ringCapacity(hello?.historyMs ?? 15 * 60_000, this.intervalMs), this.intervalMs);
    this.target = { id, name };
    this.client.subscribe([statsTopic(id)]);
  }

  #isCurrent(topic: string): boolean {
    return this.series !== null && topic === STATS_TOPIC_PREFIX + this.series.id;
  }
}
