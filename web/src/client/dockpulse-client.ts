/**
 * dockpulse's feed for other people's UIs: one small ES module with no dependencies, served by the gateway at
 * `/dockpulse-client.js`. It keeps one WebSocket open (reconnecting with backoff, resubscribing, asking only
 * for the samples it missed), parses every frame into typed values, and hands out samples per container.
 *
 * ```js
 * import { DockpulseClient } from 'https://dockpulse.example.com/dockpulse-client.js';
 * const client = new DockpulseClient({ url: 'https://dockpulse.example.com', token: 'dps1.…' });
 * client.watch('-', (s) => console.log(s.cpu, s.mem.used));
 * ```
 *
 * The public types are declared here rather than imported from `@dockpulse/shared`, so that the emitted
 * `dockpulse-client.d.ts` stands alone; passing the shared parser's values to them makes the compiler check
 * that the two agree.
 */
import {
  CONTAINERS_TOPIC,
  ErrorCode,
  STATS_TOPIC_PREFIX,
  assertNever,
  isContainerId,
  statsTopic,
  type ServerMessage,
} from '@dockpulse/shared';
import { findContainer } from './container-ref.js';
import { feedProtocols } from './token-protocol.js';
import { FeedClient } from './feed-client.js';

/** One reading of one container, as `docker stats` computes it (see docs/protocol.md, *Sample*). */
export interface Sample {
  /** Full container id. */
  id: string;
  /** When the engine read the counters, ms since the epoch. */
  t: number;
  /** CPU % of one core (200 = two full cores); null on the first sample after a gap. */
  cpu: number | null;
  mem: { used: number; limit: number; percent: number | null };
  net: { rx: number; tx: number; rxRate: number | null; txRate: number | null };
  blk: { read: number; write: number; readRate: number | null; writeRate: number | null };
  pids: number | null;
  /** Samples of this container the gateway dropped for this socket just before this one. */
  dropped?: number;
}

/** One container in the gateway's list. */
export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
  /** Docker's words, e.g. `Up 3 minutes (healthy)`. */
  status: string;
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** ms since the epoch. */
  createdAt: number;
  compose?: { project: string; service: string };
}

/** Whether the gateway reaches its Docker engine. */
export interface EngineStatus {
  status: 'up' | 'down';
  endpoint: string;
  error?: string;
}

/** A watched container's state: `removed` ends the watch; `unavailable` means the engine does not answer. */
export type TopicState = 'running' | 'paused' | 'stopped' | 'removed' | 'unavailable';

/** `connecting` (or waiting for the gateway's hello), `open`, or `closed` (a retry may be scheduled). */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/** What happens to a watch besides samples. */
export type WatchStatus =
  /**
   * The socket's state. `final`: the gateway refused the token for good (4401 invalid, 4410 expired or
   * revoked, 4403, 4400) and the client stopped; otherwise it reconnects by itself.
   */
  | { type: 'connection'; state: ConnectionState; code?: number; reason?: string; final: boolean }
  /** The container this watch shows: once known, and again when a share that follows a name moves to a new one. */
  | { type: 'container'; id: string; name: string }
  | { type: 'state'; state: TopicState }
  /**
   * The watch cannot show anything: `not_found` (no such container), `forbidden` (the token does not allow
   * it), `no_scope` (`-` was asked for without a share token).
   */
  | { type: 'error'; code: 'not_found' | 'forbidden' | 'no_scope'; message: string };

/** Any constructor with the browser WebSocket's interface, such as `WebSocket` of the `ws` package. */
export type WebSocketConstructor = new (url: string, protocols: string[]) => unknown;

export interface DockpulseClientOptions {
  /**
   * The gateway: `ws://host:port/ws` (`wss://` behind TLS), or its page address `http(s)://host:port`, to
   * which `/ws` is added.
   */
  url: string;
  /**
   * A share token (`dps1.…`, one container) or the access token (everything; keep it on a server). Offered as
   * the subprotocol entry `dockpulse.token.<base64url(token)>`, which browsers can send.
   */
  token?: string;
  /** The WebSocket constructor: the global one by default; on Node 20 pass `WebSocket` from the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Seconds of history a newly watched container starts with (0 for none); all the gateway keeps by default. */
  history?: number;
}

/** Watch the share token's container (`watch('-', …)`). */
export const SCOPE = '-';

interface Watch {
  target: string;
  onSample: (s: Sample) => void;
  onStatus: ((status: WatchStatus) => void) | undefined;
  /** The container shown, once resolved. */
  id: string | undefined;
  /** Newest sample handed out, ms: older ones (a history resent after a reconnect) are skipped. */
  lastT: number;
}

/** `http(s)://host[:port]` → `ws(s)://host[:port]/ws`; a `ws(s)://` address as it is. */
export function feedUrlOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  }
  return u.toString();
}

/** A connection to a dockpulse gateway. It connects at once, and keeps reconnecting until `close()`. */
export class DockpulseClient {
  readonly #feed: FeedClient;
  readonly #watches = new Set<Watch>();
  readonly #listListeners = new Set<(list: ContainerSummary[], engine: EngineStatus) => void>();
  #list: ContainerSummary[] | undefined;
  #engine: EngineStatus | undefined;

  constructor(options: DockpulseClientOptions) {
    this.#feed = new FeedClient({
      url: feedUrlOf(options.url),
      protocols: feedProtocols(options.token),
      ...(options.WebSocket ? { WebSocket: options.WebSocket as unknown as typeof WebSocket } : {}),
      ...(options.history === undefined ? {} : { history: options.history }),
    });
    this.#feed.resumeFrom((topic) => this.#lastSampleAt(topic));
    this.#feed.on('message', (msg) => this.#onMessage(msg));
    this.#feed.on('state', (state, detail) => {
      const status: WatchStatus = { type: 'connection', state, final: detail.final === true };
      if (detail.code !== undefined) status.code = detail.code;
      if (detail.reason) status.reason = detail.reason;
      for (const w of this.#watches) w.onStatus?.(status);
    });
    this.#feed.connect();
  }

  /** The socket's state now. */
  get state(): ConnectionState {
    return this.#feed.state;
  }

  /**
   * Calls `onSample` with every new sample of one container, oldest first (the recent past first, then live),
   * and `onStatus` with what else happens to it. `target` is a full id, a name, a unique id prefix, or `SCOPE`
   * (`-`) for the share token's container; with a share token every watch shows that container. A watch of a
   * name moves to a new container of that name when it is re-created. Returns the function that ends it.
   */
  watch(target: string, onSample: (sample: Sample) => void, onStatus?: (status: WatchStatus) => void): () => void {
    // Called from plain JavaScript too: a wrong argument is a programmer's mistake, said at once.
    if (typeof target !== 'string' || target === '') throw new TypeError('watch(target, …): target must be a container id or name, or "-"');
    if (typeof onSample !== 'function') throw new TypeError('watch(target, onSample): onSample must be a function');
    const w: Watch = { target, onSample, onStatus, id: undefined, lastT: -Infinity };
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

  /** Calls `onList` with every container (sorted by name) now and after every change. Needs full access. */
  containers(onList: (list: ContainerSummary[], engine: EngineStatus) => void): () => void {
    this.#listListeners.add(onList);
    if (this.#list && this.#engine) onList(this.#list, this.#engine);
    this.#syncListTopic();
    return () => {
      this.#listListeners.delete(onList);
      this.#syncListTopic();
    };
  }

  /** Closes the socket and stops reconnecting; no callback is called after this. */
  close(): void {
    this.#watches.clear();
    this.#listListeners.clear();
    this.#feed.close();
  }

  #onMessage(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello':
        for (const w of this.#watches) this.#resolve(w, msg.scope);
        this.#syncListTopic();
        break;
      case 'containers': {
        this.#list = msg.containers;
        this.#engine = msg.engine;
        for (const l of [...this.#listListeners]) l(msg.containers, msg.engine);
        for (const w of this.#watches) if (this.#byList(w)) this.#resolveInList(w);
        break;
      }
      case 'history':
        for (const w of this.#watching(msg.topic)) this.#deliver(w, msg.samples);
        break;
      case 'stats':
        for (const w of this.#watches) {
          if (w.id === undefined) continue;
          const mine = msg.samples.filter((s) => s.id === w.id);
          if (mine.length > 0) this.#deliver(w, mine);
        }
        break;
      case 'state':
        for (const w of this.#watching(msg.topic)) w.onStatus?.({ type: 'state', state: msg.state });
        break;
      case 'error':
        if (msg.topic === undefined) break;
        if (msg.code === ErrorCode.notFound || msg.code === ErrorCode.forbidden) {
          for (const w of this.#watching(msg.topic)) w.onStatus?.({ type: 'error', code: msg.code, message: msg.message });
        }
        break;
      case 'pong':
        break;
      default:
        assertNever(msg);
    }
  }

  #deliver(w: Watch, samples: readonly Sample[]): void {
    for (const s of samples) {
      if (s.t <= w.lastT) continue;
      w.lastT = s.t;
      w.onSample(s);
    }
  }

  /** Decides which container a watch shows, given the socket's scope. */
  #resolve(w: Watch, scope: { kind: 'all' } | { kind: 'container'; id: string; name: string }): void {
    if (scope.kind === 'container') {
      this.#show(w, scope.id, scope.name);
    } else if (w.target === SCOPE) {
      w.onStatus?.({ type: 'error', code: 'no_scope', message: 'watch("-") needs a share token; name a container instead' });
    } else if (isContainerId(w.target)) {
      this.#show(w, w.target, this.#list?.find((c) => c.id === w.target)?.name ?? w.target.slice(0, 12));
    } else if (this.#list) {
      this.#resolveInList(w);
    }
    // Otherwise the container list, subscribed for it, resolves it when it arrives.
  }

  #resolveInList(w: Watch): void {
    const found = findContainer(this.#list ?? [], w.target);
    if (found) this.#show(w, found.id, found.name);
    else if (w.id === undefined && this.#engine?.status === 'up') {
      w.onStatus?.({ type: 'error', code: 'not_found', message: `no container "${w.target}"` });
    }
  }

  #show(w: Watch, id: string, name: string): void {
    if (w.id === id) return;
    const old = w.id;
    w.id = id;
    w.lastT = -Infinity;
    this.#release(old);
    this.#feed.subscribe([statsTopic(id)]);
    w.onStatus?.({ type: 'container', id, name });
  }

  /** Unsubscribes a container's topic when no watch shows it any more. */
  #release(id: string | undefined): void {
    if (id === undefined) return;
    for (const w of this.#watches) if (w.id === id) return;
    this.#feed.unsubscribe([statsTopic(id)]);
  }

  /** A watch found by name (or prefix) follows the list, with full access. */
  #byList(w: Watch): boolean {
    return this.#feed.hello?.scope.kind === 'all' && w.target !== SCOPE && !isContainerId(w.target);
  }

  /** The list topic is held while a listener or a watch by name needs it. */
  #syncListTopic(): void {
    const hello = this.#feed.hello;
    if (hello?.scope.kind === 'container') return;
    let wanted = this.#listListeners.size > 0;
    for (const w of this.#watches) if (w.target !== SCOPE && !isContainerId(w.target)) wanted = true;
    if (wanted) this.#feed.subscribe([CONTAINERS_TOPIC]);
    else this.#feed.unsubscribe([CONTAINERS_TOPIC]);
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
