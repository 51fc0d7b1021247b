/**
 * Following containers on one feed. A watch names a container (a full id, a name, a unique id prefix, or `-`
 * for a share token's own container) and is told which container that is, its samples (oldest first, each
 * once), its state, and why it shows nothing when it cannot. A watch of a name moves to a new container of that
 * name when it is re-created, as does one of `-` when its share follows a name. The published client and the
 * app's single-container views (share link, embed) both follow containers with it.
 */
import {
  CONTAINERS_TOPIC,
  ErrorCode,
  STATS_TOPIC_PREFIX,
  assertNever,
  isContainerId,
  statsTopic,
  type ContainerSummary,
  type EngineStatus,
  type Sample,
  type Scope,
  type ServerMessage,
  type TopicState,
} from '@dockpulse/shared';
import { findContainer } from './container-ref.js';
import type { FeedClient } from './feed-client.js';

/** The target that means "the share token's own container". */
export const SCOPE_TARGET = '-';

/**
 * Why a watch shows nothing although the socket is fine: `not_found`, no container has that id or name;
 * `forbidden`, the token does not allow it; `no_scope`, `-` was asked for without a share token.
 */
export type WatchProblem = 'not_found' | 'forbidden' | 'no_scope';

/** What a watch is told. Only `samples` is required. */
export interface WatchListener {
  /** The container the watch shows: once known, and again when that changes (a name re-created, a rename). */
  container?: (container: { id: string; name: string }) => void;
  /**
   * Its entry in the container list on every list, null when the list no longer has it. Asking for it keeps
   * the list subscribed, which only a socket with full access may.
   */
  summary?: (summary: ContainerSummary | null) => void;
  /** Samples not handed out before, oldest first. */
  samples: (samples: readonly Sample[]) => void;
  state?: (state: TopicState) => void;
  problem?: (problem: WatchProblem, message: string) => void;
}

/** What a listener of the container list is told. */
export interface ListListener {
  /** Every container, sorted by name, on subscribing and after every change. */
  list: (containers: readonly ContainerSummary[], engine: EngineStatus) => void;
  /** There will be no list: the socket's token is a share token, which shows one container. Said once. */
  refused?: (code: 'forbidden', message: string) => void;
}

interface Watch {
  readonly target: string;
  readonly listener: WatchListener;
  /** The container shown, once known. */
  id: string | undefined;
  name: string | undefined;
  /** Newest sample handed out, ms: older ones (a history sent again after a reconnect) are skipped. */
  lastT: number;
  /** The problem last reported, so that each is said once. */
  problem: WatchProblem | undefined;
}

/** Follows containers on one feed client; `close()` stops, releasing every topic it holds. */
export class ContainerWatcher {
  readonly #feed: FeedClient;
  readonly #watches = new Set<Watch>();
  /** List listeners, and whether each was told there will be no list. */
  readonly #lists = new Map<ListListener, { refused: boolean }>();
  readonly #offs: (() => void)[];
  #list: readonly ContainerSummary[] | undefined;
  #engine: EngineStatus | undefined;

  constructor(feed: FeedClient) {
    this.#feed = feed;
    this.#offs = [feed.on('message', (msg) => this.#onMessage(msg)), feed.resumeFrom((topic) => this.#lastSampleAt(topic))];
  }

  /** Starts following `target`; returns the function that stops. */
  watch(target: string, listener: WatchListener): () => void {
    const w: Watch = { target, listener, id: undefined, name: undefined, lastT: -Infinity, problem: undefined };
    this.#watches.add(w);
    const hello = this.#feed.hello;
    if (hello) this.#resolve(w, hello.scope);
    this.#syncListTopic();
    return () => {
      if (!this.#watches.delete(w)) return;
      this.#release(w.id);
      this.#syncListTopic();
    };
  }

  /** Follows the container list (the latest now, when there is one); returns the function that stops. */
  list(listener: ListListener): () => void {
    this.#lists.set(listener, { refused: false });
    if (this.#list && this.#engine) listener.list(this.#list, this.#engine);
    this.#syncListTopic();
    this.#refuseLists();
    return () => {
      if (!this.#lists.delete(listener)) return;
      this.#syncListTopic();
    };
  }

  /** Ends every watch and list listener and stops following the feed; nothing is called after this. */
  close(): void {
    for (const off of this.#offs) off();
    const ids = new Set<string>();
    for (const w of this.#watches) if (w.id !== undefined) ids.add(w.id);
    this.#watches.clear();
    this.#lists.clear();
    this.#feed.unsubscribe([...ids].map(statsTopic));
    this.#syncListTopic();
  }

  #onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello':
        for (const w of this.#watches) this.#resolve(w, msg.scope);
        this.#syncListTopic();
        this.#refuseLists();
        break;
      case 'containers':
        this.#list = msg.containers;
        this.#engine = msg.engine;
        for (const l of [...this.#lists.keys()]) l.list(msg.containers, msg.engine);
        if (this.#feed.hello?.scope.kind === 'all') for (const w of this.#watches) if (w.target !== SCOPE_TARGET) this.#resolveInList(w);
        break;
      case 'history':
        for (const w of this.#watching(msg.topic)) this.#deliver(w, msg.samples);
        break;
      case 'stats':
        this.#onStats(msg.samples);
        break;
      case 'state':
        for (const w of this.#watching(msg.topic)) w.listener.state?.(msg.state);
        break;
      case 'error':
        if (msg.topic === undefined) break;
        if (msg.code === ErrorCode.notFound || msg.code === ErrorCode.forbidden) {
          for (const w of this.#watching(msg.topic)) this.#problem(w, msg.code, msg.message);
        }
        break;
      case 'pong':
        break;
      default:
        assertNever(msg);
    }
  }

  #onStats(samples: readonly Sample[]): void {
    // Normally one sample per container; after a stall the server may batch several of one container.
    const byId = new Map<string, Sample[]>();
    for (const s of samples) {
      const list = byId.get(s.id);
      if (list) list.push(s);
      else byId.set(s.id, [s]);
    }
    for (const w of this.#watches) {
      const mine = w.id === undefined ? undefined : byId.get(w.id);
      if (mine) this.#deliver(w, mine);
    }
  }

  #deliver(w: Watch, samples: readonly Sample[]): void {
    const fresh: Sample[] = [];
    for (const s of samples) {
      if (s.t <= w.lastT) continue;
      w.lastT = s.t;
      fresh.push(s);
    }
    if (fresh.length > 0) w.listener.samples(fresh);
  }

  /** Decides which container a watch shows, given what the socket may see. */
  #resolve(w: Watch, scope: Scope): void {
    if (scope.kind === 'container') {
      // A share token may see its own container alone. Anything else it names, even a container that exists
      // nowhere, is forbidden, as the gateway would answer: the token cannot tell which containers exist.
      if (w.target === SCOPE_TARGET || findContainer([scope], w.target)) this.#show(w, scope.id, scope.name);
      else this.#forbid(w, `this share token shows only "${scope.name}"`);
    } else if (w.target === SCOPE_TARGET) {
      this.#problem(w, 'no_scope', 'watching "-" needs a share token; name a container instead');
    } else if (isContainerId(w.target)) {
      this.#show(w, w.target, this.#list?.find((c) => c.id === w.target)?.name ?? w.target.slice(0, 12));
      if (this.#list) this.#resolveInList(w);
    } else if (this.#list) {
      this.#resolveInList(w);
    }
    // Otherwise the container list, subscribed for it, resolves it when it arrives.
  }

  #resolveInList(w: Watch): void {
    const found = findContainer(this.#list ?? [], w.target);
    if (found) {
      this.#show(w, found.id, found.name);
      w.listener.summary?.(found);
    } else if (this.#engine?.status === 'up') {
      // A removed container's watch stays on its last samples; one that never found its container says so.
      w.listener.summary?.(null);
      if (w.id === undefined) this.#problem(w, 'not_found', `no container "${w.target}"`);
    }
  }

  /** Moves a watch to a container: the old one's topic is released, the new one's subscribed. */
  #show(w: Watch, id: string, name: string): void {
    if (w.id === id) {
      if (w.name === name) return;
      w.name = name;
      w.listener.container?.({ id, name });
      return;
    }
    const old = w.id;
    w.id = id;
    w.name = name;
    w.lastT = -Infinity;
    w.problem = undefined;
    this.#release(old);
    this.#feed.subscribe([statsTopic(id)]);
    w.listener.container?.({ id, name });
  }

  /** A watch the token does not allow shows nothing: no topic, no samples. */
  #forbid(w: Watch, message: string): void {
    const old = w.id;
    w.id = undefined;
    w.name = undefined;
    this.#release(old);
    this.#problem(w, 'forbidden', message);
  }

  /** A share token's socket has no list: each list listener is told so once. */
  #refuseLists(): void {
    if (this.#feed.hello?.scope.kind !== 'container') return;
    for (const [listener, told] of [...this.#lists]) {
      if (told.refused) continue;
      told.refused = true;
      listener.refused?.('forbidden', 'a share token shows one container and no list; listing containers needs the access token');
    }
  }

  #problem(w: Watch, problem: WatchProblem, message: string): void {
    if (w.problem === problem) return;
    w.problem = problem;
    w.listener.problem?.(problem, message);
  }

  /** Unsubscribes a container's topic when no watch shows it any more. */
  #release(id: string | undefined): void {
    if (id === undefined) return;
    for (const w of this.#watches) if (w.id === id) return;
    this.#feed.unsubscribe([statsTopic(id)]);
  }

  /**
   * The list topic is held, on a socket that may see everything, while a list listener or a watch needs it: a
   * watch of a name or an id prefix finds its container there, and one that asks for its list entry gets it
   * there. It is asked for only once `hello` says the socket may.
   */
  #syncListTopic(): void {
    const hello = this.#feed.hello;
    let wanted = this.#lists.size > 0;
    for (const w of this.#watches) {
      if (w.target !== SCOPE_TARGET && (!isContainerId(w.target) || w.listener.summary)) wanted = true;
    }
    if (wanted && hello?.scope.kind === 'all') this.#feed.subscribe([CONTAINERS_TOPIC]);
    else if (!wanted || hello?.scope.kind === 'container') this.#feed.unsubscribe([CONTAINERS_TOPIC]);
  }

  *#watching(topic: string): Generator<Watch> {
    if (!topic.startsWith(STATS_TOPIC_PREFIX)) return;
    const id = topic.slice(STATS_TOPIC_PREFIX.length);
    for (const w of this.#watches) if (w.id === id) yield w;
  }

  /** The oldest of the newest samples the watches on a topic hold: after a reconnect, what they all missed. */
  #lastSampleAt(topic: string): number | undefined {
    let oldest = Infinity;
    for (const w of this.#watching(topic)) oldest = Math.min(oldest, w.lastT);
    return oldest === Infinity || oldest === -Infinity ? undefined : oldest;
  }
}
