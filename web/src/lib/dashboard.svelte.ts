/**
 * The dashboard's live model: the feed client's frames turned into per-container signals (a container is its
 * host and id: two hosts may list the same id when one engine is reached twice), the hosts the gateway
 * serves, and the set of stats topics kept in line with the container list and the open views.
 */
import { createContext, untrack } from 'svelte';
import {
  ALERTS_TOPIC,
  CONTAINERS_TOPIC,
  DEFAULT_LIMITS,
  ErrorCode,
  STATS_TOPIC_PREFIX,
  assertNever,
  hostStatsTopic,
  type AlertNotice,
  type ContainersMessage,
  type EngineStatus,
  type ErrorMessage,
  type HelloMessage,
  type HostInfo,
  type Sample,
  type ServerMessage,
} from '@dockpulse/shared';
import { containerKey, matchContainers } from '../client/container-ref.js';
import { ContainerLive } from './container-live.svelte.js';
import { FeedStatus } from './feed-status.svelte.js';
import { ringCapacity } from './live-series.svelte.js';
import type { FeedClient } from '../client/feed-client.js';

const DEFAULT_HISTORY_MS = 15 * 60_000;

/** Set when the server's subscription limit keeps some containers without live stats. */
export interface SubscriptionLimit {
  /** Containers with live stats. */
  shown: number;
  /** Containers listed. */
  total: number;
  /** The server's `maxSubscriptions` (two of which are the container list and the alerts). */
  max: number;
}

/** True while a host does not answer: its agent is silent, or its engine is down. */
export function hostIsDown(host: HostInfo): boolean {
  return host.state === 'unavailable' || host.engine.status === 'down';
}

export class Dashboard extends FeedStatus {
  /** The engines' status: with one host its own; with several, `down` while any host does not answer. */
  engine: EngineStatus | null = $state.raw(null);
  /** Every host the gateway serves, sorted by name. */
  hosts: readonly HostInfo[] = $state.raw([]);
  /** The gateway serves more than one host: the dashboard then names hosts (a column, a strip, addresses). */
  multiHost = $derived(this.hosts.length > 1);
  /** Listed containers in the server's order. Replaced only when membership or order changes. */
  containers: readonly ContainerLive[] = $state.raw([]);
  /** A container list has arrived at least once. */
  listed = $state(false);
  subscriptionLimit: SubscriptionLimit | null = $state.raw(null);
  /** The last `error` frame, for the status line. */
  lastError: ErrorMessage | null = $state.raw(null);
  /** Every alert firing now, as the `alerts` topic last said. */
  firing: readonly AlertNotice[] = $state.raw([]);
  /** The alerts firing for each container, by `<host>/<id>`. */
  firingByKey: ReadonlyMap<string, readonly AlertNotice[]> = $derived(groupByContainer(this.firing));

  /** By `<host>/<id>`, which is also what follows `stats:` in the container's topic. */
  readonly #lives = new Map<string, ContainerLive>();
  /** Containers an open view needs live, by key, counted per view. */
  readonly #focus = new Map<string, number>();

  constructor(client: FeedClient) {
    super(client);
  }

  /**
   * Keeps the model live while the client is connected; returns the function that stops it and closes the
   * socket. `connect()` starts the socket: the app first checks whether it must log in.
   */
  start(): () => void {
    const offs = [
      this.trackStatus(),
      this.client.on('message', (msg) => this.#onMessage(msg)),
      this.client.on('invalid', (reason) => console.warn('dockpulse: ignored a frame the client cannot parse:', reason)),
      // After a reconnect each container asks only for the samples it missed.
      this.client.resumeFrom((topic) => this.#lastSampleAt(topic)),
    ];
    this.client.subscribe([CONTAINERS_TOPIC, ALERTS_TOPIC]);
    return () => {
      for (const off of offs) off();
      this.client.close();
    };
  }

  /** Opens the socket (again, after a log-in), and keeps it open until `disconnect()`. */
  connect(): void {
    this.client.connect();
  }

  /** Closes the socket (on logging out). */
  disconnect(): void {
    this.client.close();
  }

  /**
   * The containers a `/c/<ref>` or `/c/<host>/<ref>` address names: by full id, else by name, else by a unique
   * id prefix of at least four characters, on `host` or on any host. One is the container; several, that the
   * address is ambiguous (the same name on two hosts). A removed container stays findable while a view holds it.
   */
  find(ref: string, host?: string): ContainerLive[] {
    // Reading the list makes a caller's $derived re-run when the containers change. Listed ones come first, so
    // that a name re-created means the new container rather than the removed one a view still holds.
    const listed = matchContainers(this.containers, ref, host);
    if (listed.length > 0) return listed;
    const held = [...this.#lives.values()].filter((l) => l.removed);
    return matchContainers(held, ref, host);
  }

  /** Keeps a container's stats subscribed (ahead of the overview's) while a view shows it; `key` is `<host>/<id>`. */
  focus(key: string): () => void {
    this.#focus.set(key, (this.#focus.get(key) ?? 0) + 1);
    // Views call this from an effect; the list read while syncing must not become that effect's dependency.
    untrack(() => this.#syncTopics());
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.#focus.get(key) ?? 1) - 1;
      if (n > 0) {
        this.#focus.set(key, n);
        return;
      }
      this.#focus.delete(key);
      if (this.#lives.get(key)?.removed) this.#lives.delete(key);
      untrack(() => this.#syncTopics());
    };
  }

  /** When the newest sample held for a stats topic was taken. */
  #lastSampleAt(topic: string): number | undefined {
    if (!topic.startsWith(STATS_TOPIC_PREFIX)) return undefined;
    return this.#lives.get(topic.slice(STATS_TOPIC_PREFIX.length))?.ring.lastT;
  }

  #onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello':
        this.#onHello(msg);
        break;
      case 'containers':
        this.#onContainers(msg);
        break;
      case 'history':
        if (msg.topic.startsWith(STATS_TOPIC_PREFIX)) {
          this.#lives.get(msg.topic.slice(STATS_TOPIC_PREFIX.length))?.receive(msg.samples);
        }
        break;
      case 'stats':
        this.#onStats(msg.samples);
        break;
      case 'state':
        if (msg.topic.startsWith(STATS_TOPIC_PREFIX)) {
          this.#lives.get(msg.topic.slice(STATS_TOPIC_PREFIX.length))?.setTopicState(msg.state);
        }
        break;
      case 'pong':
      case 'range':
        // A range answer goes to the promise that asked for it (`FeedClient.range`).
        break;
      case 'alerts':
        this.firing = msg.firing;
        break;
      case 'error':
        // A range query's refusal is its caller's to show, not the status line's.
        if (msg.req !== undefined) break;
        this.lastError = msg;
        // A gateway with alerts turned off says so when asked for them; the panel says it too.
        if (msg.code === ErrorCode.unavailable && msg.topic === ALERTS_TOPIC) break;
        if (msg.code !== ErrorCode.notFound) console.warn(`dockpulse: server error ${msg.code}: ${msg.message}`, msg.topic ?? '');
        break;
      default:
        assertNever(msg);
    }
    this.frameArrived();
  }

  #onHello(msg: HelloMessage): void {
    if (msg.hosts) this.#setHosts(msg.hosts);
    const capacity = ringCapacity(msg.historyMs, msg.intervalMs);
    for (const live of this.#lives.values()) live.configure(capacity, msg.intervalMs);
  }

  #setHosts(hosts: readonly HostInfo[]): void {
    this.hosts = hosts;
    const down = new Set(hosts.filter(hostIsDown).map((h) => h.name));
    for (const live of this.#lives.values()) live.hostDown = down.has(live.host);
  }

  #onContainers(msg: ContainersMessage): void {
    this.engine = msg.engine;
    this.listed = true;
    // A host that does not answer may list nothing (an unreachable engine); that says nothing about its
    // containers, so keep what is known of them (their rows and history) for when it answers again.
    const listing = new Set(msg.containers.map((c) => c.host));
    const silent = new Set(msg.hosts.filter((h) => hostIsDown(h) && !listing.has(h.name)).map((h) => h.name));
    const capacity = ringCapacity(this.hello?.historyMs ?? DEFAULT_HISTORY_MS, this.intervalMs);
    const seen = new Set<string>();
    const list: ContainerLive[] = [];
    for (const c of msg.containers) {
      const key = containerKey(c);
      let live = this.#lives.get(key);
      if (live) live.setSummary(c);
      else {
        live = new ContainerLive(c, capacity, this.intervalMs);
        this.#lives.set(key, live);
      }
      seen.add(key);
      list.push(live);
    }
    for (const live of this.containers) {
      if (!silent.has(live.host) || seen.has(live.key)) continue;
      seen.add(live.key);
      list.push(live);
    }
    for (const [key, live] of this.#lives) {
      if (seen.has(key)) continue;
      live.removed = true;
      if (!this.#focus.has(key)) this.#lives.delete(key);
    }
    this.#setHosts(msg.hosts);
    const cur = this.containers;
    if (list.length !== cur.length || list.some((l, i) => l !== cur[i])) this.containers = list;
    this.#syncTopics();
  }

  #onStats(samples: readonly Sample[]): void {
    // Normally one sample per container; after a stall the server may batch several of one container.
    let byKey: Map<string, Sample[]> | undefined;
    for (const s of samples) {
      byKey ??= new Map();
      const key = containerKey(s);
      const list = byKey.get(key);
      if (list) list.push(s);
      else byKey.set(key, [s]);
    }
    if (!byKey) return;
    for (const [key, list] of byKey) this.#lives.get(key)?.receive(list);
  }

  /** Subscribes the focused containers first, then running ones, within the server's subscription limit. */
  #syncTopics(): void {
    // The container list and the alerts hold one subscription each.
    const max = (this.hello?.limits.maxSubscriptions ?? DEFAULT_LIMITS.maxSubscriptions) - 2;
    const wanted: ContainerLive[] = [];
    const add = (l: ContainerLive | undefined) => {
      if (l && !l.removed && !wanted.includes(l)) wanted.push(l);
    };
    for (const key of this.#focus.keys()) add(this.#lives.get(key));
    for (const l of this.containers) if (!l.view.down) add(l);
    for (const l of this.containers) add(l);
    const want = new Set(wanted.slice(0, Math.max(0, max)).map((l) => hostStatsTopic(l.host, l.id)));
    const have = [...this.client.topics].filter((t) => t.startsWith(STATS_TOPIC_PREFIX));
    this.client.unsubscribe(have.filter((t) => !want.has(t)));
    this.client.subscribe([...want].filter((t) => !this.client.topics.has(t)));
    this.subscriptionLimit = wanted.length > max ? { shown: Math.max(0, max), total: wanted.length, max: max + 2 } : null;
  }
}

const [getDashboard, setDashboard] = createContext<Dashboard>();

/** The dashboard model provided by `App`. */
export { getDashboard, setDashboard };

function groupByContainer(firing: readonly AlertNotice[]): Map<string, AlertNotice[]> {
  const out = new Map<string, AlertNotice[]>();
  for (const n of firing) {
    const key = containerKey(n.container);
    out.set(key, [...(out.get(key) ?? []), n]);
  }
  return out;
}
