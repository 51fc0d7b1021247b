/**
 * Following containers on one feed. A watch names a container (a full id, a name, a unique id prefix, any of
 * them as `<host>/<ref>` to look on one host only, or `-` for a share token's own container) and is told which
 * container that is and on which host, its samples (oldest first, each once), its state, and why it shows
 * nothing when it cannot. A watch of a name moves to a new container of that name when it is re-created, as
 * does one of `-` when its share follows a name. The published client and the app's single-container views
 * (share link, embed) both follow containers with it.
 */
import {
  CONTAINERS_TOPIC,
  ErrorCode,
  assertNever,
  hostStatsTopic,
  isContainerId,
  type ContainerSummary,
  type EngineStatus,
  type HostInfo,
  type Sample,
  type Scope,
  type ServerMessage,
  type TopicState,
} from '@dockpulse/shared';
import { containerKey, matchContainers, parseContainerRef, type ContainerRef } from './container-ref.js';
import type { FeedClient } from './feed-client.js';

/** The target that means "the share token's own container". */
export const SCOPE_TARGET = '-';

/**
 * Why a watch shows nothing although the socket is fine: `not_found`, no container has that id or name (or no
 * host that name); `ambiguous`, containers on several hosts have it, so the watch must name the host
 * (`<host>/<ref>`); `forbidden`, the token does not allow it; `no_scope`, `-` was asked for without a share
 * token.
 */
export type WatchProblem = 'not_found' | 'ambiguous' | 'forbidden' | 'no_scope';

/** A container on a host, as a watch shows it. */
export interface WatchedContainer {
  host: string;
  id: string;
  name: string;
}

/** What a watch is told. Only `samples` is required. */
export interface WatchListener {
  /** The container the watch shows: once known, and again when that changes (a name re-created, a rename). */
  container?: (container: WatchedContainer) => void;
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
  /**
   * Every container of every host (sorted by name, then host), the engines' aggregate status, and every host
   * (sorted by name), on subscribing and after every change.
   */
  list: (containers: readonly ContainerSummary[], engine: EngineStatus, hosts: readonly HostInfo[]) => void;
  /** There will be no list: the socket's token is a share token, which shows one container. Said once. */
  refused?: (code: 'forbidden', message: string) => void;
}

interface Watch {
  readonly target: string;
  /** The target parsed: the host it is limited to, if any, and the reference. */
  readonly ref: ContainerRef;
  readonly listener: WatchListener;
  /** The container shown, once known, and its stats topic. */
  host: string | undefined;
  id: string | undefined;
  name: string | undefined;
  topic: string | undefined;
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
  #hosts: readonly HostInfo[] | undefined;

  constructor(feed: FeedClient) {
    this.#feed = feed;
    this.#offs = [feed.on('message', (msg) => this.#onMessage(msg)), feed.resumeFrom((topic) => this.#lastSampleAt(topic))];
  }

  /** Starts following `target`; returns the function that stops. */
  watch(target: string, listener: WatchListener): () => void {
    const w: Watch = {
      target,
      ref: target === SCOPE_TARGET ? { host: undefined, ref: target } : parseContainerRef(target),
      listener,
      host: undefined,
      id: undefined,
      name: undefined,
      topic: undefined,
      lastT: -Infinity,
      problem: undefined,
    };
    this.#watches.add(w);
    const hello = this.#feed.hello;
    if (hello) this.#resolve(w, hello.scope);
    this.#syncListTopic();
    return () => {
      if (!this.#watches.delete(w)) return;
      this.#release(w.topic);
      this.#syncListTopic();
    };
  }

  /** Follows the container list (the latest now, when there is one); returns the function that stops. */
  list(listener: ListListener): () => void {
    this.#lists.set(listener, { refused: false });
    if (this.#list && this.#engine && this.#hosts) listener.list(this.#list, this.#engine, this.#hosts);
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
    const topics = new Set<string>();
    for (const w of this.#watches) if (w.topic !== undefined) topics.add(w.topic);
    this.#watches.clear();
    this.#lists.clear();
    this.#feed.unsubscribe(topics);
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
        this.#hosts = msg.hosts;
        for (const l of [...this.#lists.keys()]) l.list(msg.containers, msg.engine, msg.hosts);
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
      case 'range':
      case 'alerts':
        // Answers to range queries are the feed client's, which hands them to whoever asked; alerts are the
        // operator dashboard's, and a container watch neither asks for nor reads them.
        break;
      default:
        assertNever(msg);
    }
  }

  #onStats(samples: readonly Sample[]): void {
    // Normally one sample per container; after a stall the server may batch several of one container. The
    // same id may come from two hosts (one engine reached twice): a sample is its host's.
    const byKey = new Map<string, Sample[]>();
    for (const s of samples) {
      const key = containerKey(s);
      const list = byKey.get(key);
      if (list) list.push(s);
      else byKey.set(key, [s]);
    }
    for (const w of this.#watches) {
      const mine = w.host === undefined || w.id === undefined ? undefined : byKey.get(containerKey({ host: w.host, id: w.id }));
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
      if (w.target === SCOPE_TARGET || matchContainers([scope], w.ref.ref, w.ref.host).length === 1) {
        this.#show(w, scope.host, scope.id, scope.name);
      } else this.#forbid(w, `this share token shows only "${scope.name}" on host "${scope.host}"`);
      return;
    }
    if (w.target === SCOPE_TARGET) {
      this.#problem(w, 'no_scope', 'watching "-" needs a share token; name a container instead');
      return;
    }
    // A full id needs no list where the host is known: named in the target, or the gateway's only host.
    const host = w.ref.host ?? this.#onlyHost();
    if (isContainerId(w.ref.ref) && host !== undefined) {
      const listed = this.#list?.find((c) => c.host === host && c.id === w.ref.ref);
      this.#show(w, host, w.ref.ref, listed?.name ?? w.ref.ref.slice(0, 12));
    }
    // Otherwise the container list, subscribed for it, resolves it when it arrives.
    if (this.#list) this.#resolveInList(w);
  }

  /** The gateway's host when it serves one alone, as its `hello` says; undefined otherwise. */
  #onlyHost(): string | undefined {
    const hosts = this.#hosts ?? this.#feed.hello?.hosts;
    return hosts?.length === 1 ? hosts[0]?.name : undefined;
  }

  #resolveInList(w: Watch): void {
    // Once it shows a container, a watch keeps to that container's host: a name re-created there is followed,
    // and one of the same name on another host is neither ambiguous nor a place to move to.
    const host = w.ref.host ?? w.host;
    const found = matchContainers(this.#list ?? [], w.ref.ref, host);
    const current = found.find((c) => c.host === w.host && c.id === w.id);
    const one = current ?? (found.length === 1 ? found[0] : undefined);
    if (one) {
      this.#show(w, one.host, one.id, one.name);
      w.listener.summary?.(one);
      return;
    }
    if (found.length > 1) {
      w.listener.summary?.(null);
      if (w.id === undefined) {
        const hosts = [...new Set(found.map((c) => c.host))];
        this.#problem(
          w,
          'ambiguous',
          hosts.length > 1
            ? `"${w.ref.ref}" names containers on several hosts (${hosts.join(', ')}): name one, "<host>/${w.ref.ref}"`
            : `"${w.ref.ref}" names several containers: give more of the id`,
        );
      }
      return;
    }
    if (host !== undefined && this.#hosts && !this.#hosts.some((h) => h.name === host)) {
      w.listener.summary?.(null);
      if (w.id === undefined) this.#problem(w, 'not_found', `no host "${host}"`);
    } else if (this.#listIsComplete(host)) {
      // A removed container's watch stays on its last samples; one that never found its container says so.
      w.listener.summary?.(null);
      if (w.id === undefined) this.#problem(w, 'not_found', `no container "${w.target}"`);
    }
  }

  /**
   * Whether the list can say that a container is not there: every host it may be on answers. A host that does
   * not answer may list nothing (an engine down) or what it listed last (an agent gone silent).
   */
  #listIsComplete(host: string | undefined): boolean {
    if (host === undefined || !this.#hosts) return this.#engine?.status === 'up';
    const info = this.#hosts.find((h) => h.name === host);
    return info !== undefined && info.state === 'up' && info.engine.status === 'up';
  }

  /** Moves a watch to a container: the old one's topic is released, the new one's subscribed. */
  #show(w: Watch, host: string, id: string, name: string): void {
    if (w.host === host && w.id === id) {
      if (w.name === name) return;
      w.name = name;
      w.listener.container?.({ host, id, name });
      return;
    }
    const old = w.topic;
    w.host = host;
    w.id = id;
    w.name = name;
    w.topic = hostStatsTopic(host, id);
    w.lastT = -Infinity;
    w.problem = undefined;
    this.#release(old);
    this.#feed.subscribe([w.topic]);
    w.listener.container?.({ host, id, name });
  }

  /** A watch the token does not allow shows nothing: no topic, no samples. */
  #forbid(w: Watch, message: string): void {
    const old = w.topic;
    w.host = undefined;
    w.id = undefined;
    w.name = undefined;
    w.topic = undefined;
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
  #release(topic: string | undefined): void {
    if (topic === undefined) return;
    for (const w of this.#watches) if (w.topic === topic) return;
    this.#feed.unsubscribe([topic]);
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
      if (w.target === SCOPE_TARGET) continue;
      const hostKnown = w.ref.host !== undefined || this.#onlyHost() !== undefined;
      if (!isContainerId(w.ref.ref) || !hostKnown || w.listener.summary) wanted = true;
    }
    if (wanted && hello?.scope.kind === 'all') this.#feed.subscribe([CONTAINERS_TOPIC]);
    else if (!wanted || hello?.scope.kind === 'container') this.#feed.unsubscribe([CONTAINERS_TOPIC]);
  }

  *#watching(topic: string): Generator<Watch> {
    for (const w of this.#watches) if (w.topic === topic) yield w;
  }

  /** The oldest of the newest samples the watches on a topic hold: after a reconnect, what they all missed. */
  #lastSampleAt(topic: string): number | undefined {
    let oldest = Infinity;
    for (const w of this.#watching(topic)) oldest = Math.min(oldest, w.lastT);
    return oldest === Infinity || oldest === -Infinity ? undefined : oldest;
  }
}
