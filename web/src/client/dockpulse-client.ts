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
 * `dockpulse-client.d.ts` stands alone; `public-types.check.ts` fails the typecheck when they and the
 * protocol's own types differ in any way.
 */
import { hostStatsTopic, isContainerId, statsTopic, type HelloMessage } from '@dockpulse/shared';
import { ContainerWatcher } from './container-watch.js';
import { parseContainerRef } from './container-ref.js';
import { FeedClient, RANGE_TIMEOUT_MS, RangeQueryError } from './feed-client.js';
import { feedUrlOf as toFeedUrl } from './feed-url.js';
import { feedProtocols } from './token-protocol.js';

/** One reading of one container, as `docker stats` computes it (see docs/protocol.md, *Sample*). */
export interface Sample {
  /** The host the container runs on. */
  host: string;
  /** Full container id. */
  id: string;
  /** When the engine read the counters, ms since the epoch. */
  t: number;
  /** CPU % of one core (200 = two full cores); null on the first sample after a gap. */
  cpu: number | null;
  /** CPU time used since the container started, seconds; absent from gateways that do not send it. */
  cpuTime?: number;
  /** `charged`: bytes charged to the container, page cache included; absent from gateways that do not send it. */
  mem: { used: number; limit: number; percent: number | null; charged?: number };
  net: { rx: number; tx: number; rxRate: number | null; txRate: number | null };
  blk: { read: number; write: number; readRate: number | null; writeRate: number | null };
  pids: number | null;
  /**
   * Figures the engine does not report for this container (`mem`, `net`, `blk`), whose numbers are 0 and mean
   * nothing: show them as "not reported". Absent when every figure is reported.
   */
  unreported?: ('mem' | 'net' | 'blk')[];
  /** Samples of this container the gateway dropped for this socket just before this one. */
  dropped?: number;
}

/** One container in the gateway's list. */
export interface ContainerSummary {
  /** The host it runs on. */
  host: string;
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

/** Whether the gateway reaches a Docker engine. */
export interface EngineStatus {
  status: 'up' | 'down';
  endpoint: string;
  error?: string;
}

/** One host the gateway serves: its own engine, a remote engine, or one whose agent publishes on a message bus. */
export interface HostInfo {
  name: string;
  /** `unavailable` while the host does not answer; its containers stay listed. */
  state: 'up' | 'unavailable';
  /** When the gateway last heard from it, ms since the epoch; null when it never did. */
  lastSeen: number | null;
  /** Containers listed, and those of them running. */
  containers: number;
  running: number;
  engine: EngineStatus;
  /** How the gateway hears of the host: it reads the engine itself, or the host's agent publishes it. */
  via?: 'engine' | 'agent';
  /** Present while two agents claim this host's name. */
  conflict?: string;
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
  /**
   * The container this watch shows, and its host: once known, and again when a share that follows a name moves
   * to a new one.
   */
  | { type: 'container'; host: string; id: string; name: string }
  | { type: 'state'; state: TopicState }
  /**
   * The watch cannot show anything: `not_found` (no such container, or no such host), `ambiguous` (containers
   * on several hosts answer to the target: name the host, `<host>/<ref>`), `forbidden` (the token does not
   * allow it), `no_scope` (`-` was asked for without a share token).
   */
  | { type: 'error'; code: 'not_found' | 'ambiguous' | 'forbidden' | 'no_scope'; message: string };

/**
 * Why `containers()` gets no list: `forbidden`, the client's token is a share token, which shows one
 * container and no list.
 */
export interface ListError {
  type: 'error';
  code: 'forbidden';
  message: string;
}

/**
 * A figure of a container's stored history: `cpu` (% of one core), `mem` (bytes used), `memPercent` (of its
 * limit), `netRx`, `netTx`, `blkRead`, `blkWrite` (bytes per second), `pids`.
 */
export type HistoryMetric = 'cpu' | 'mem' | 'memPercent' | 'netRx' | 'netTx' | 'blkRead' | 'blkWrite' | 'pids';

/** What `history()` asks: times in ms since the epoch, `step` in seconds (the gateway's choice when absent). */
export interface HistoryQuery {
  from: number;
  to: number;
  step?: number;
  /** The figures wanted; every one when absent. */
  metrics?: HistoryMetric[];
}

/** One figure's points: the average, least and greatest over each step, `null` where nothing was recorded. */
export interface HistoryBand {
  avg: (number | null)[];
  min: (number | null)[];
  max: (number | null)[];
}

/** A container's history over a span, in columns (see docs/protocol.md, *range*). */
export interface HistoryRange {
  /** The container the points are of. */
  container: { host: string; id: string; name: string };
  /** Where the points came from: the recent samples in memory, minute points, or hour points. */
  tier: 'raw' | 'minute' | 'hour';
  /** Seconds between points. */
  step: number;
  /** The start of each step, ms since the epoch. */
  t: number[];
  /** Each figure asked for, one entry per `t`. */
  series: Partial<Record<HistoryMetric, HistoryBand>>;
}

/**
 * Why `history()` failed. `unavailable`: the gateway keeps no history (or cannot read it now); `forbidden`: a
 * share token asked for another container; `not_found`: no such container, now or recorded; `ambiguous`: the
 * target names no host and the gateway serves several; `no_scope`: `-` without a share token; `bad_message`:
 * a span the gateway will not answer (its message says which step would do); `timeout`: no answer in time;
 * `closed`: `close()` was called first. Other codes are the protocol's `error` codes.
 */
export interface HistoryError extends Error {
  code:
    | 'bad_json'
    | 'bad_message'
    | 'unknown_type'
    | 'binary_unsupported'
    | 'bad_topic'
    | 'not_found'
    | 'too_many_subscriptions'
    | 'rate_limited'
    | 'forbidden'
    | 'unavailable'
    | 'timeout'
    | 'closed'
    | 'ambiguous'
    | 'no_scope';
}

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

/** `http(s)://host[:port]` → `ws(s)://host[:port]/ws`; a `ws(s)://` address as it is. */
export const feedUrlOf: (url: string) => string = toFeedUrl;

/** A connection to a dockpulse gateway. It connects at once, and keeps reconnecting until `close()`. */
export class DockpulseClient {
  readonly #feed: FeedClient;
  readonly #watcher: ContainerWatcher;
  /** Every watch's `onStatus`, which the socket's state goes to. */
  readonly #statusListeners = new Set<(status: WatchStatus) => void>();
  /** `history()` calls waiting for the first `hello`, ended by `close()`. */
  readonly #helloWaits = new Set<() => void>();

  constructor(options: DockpulseClientOptions) {
    this.#feed = new FeedClient({
      url: toFeedUrl(options.url),
      protocols: feedProtocols(options.token),
      ...(options.WebSocket ? { WebSocket: options.WebSocket as unknown as typeof WebSocket } : {}),
      ...(options.history === undefined ? {} : { history: options.history }),
    });
    this.#watcher = new ContainerWatcher(this.#feed);
    this.#feed.on('state', (state, detail) => {
      const status: WatchStatus = { type: 'connection', state, final: detail.final === true };
      if (detail.code !== undefined) status.code = detail.code;
      if (detail.reason) status.reason = detail.reason;
      for (const l of [...this.#statusListeners]) l(status);
    });
    this.#feed.connect();
  }

  /** The socket's state now. */
  get state(): ConnectionState {
    return this.#feed.state;
  }

  /**
   * Calls `onSample` with every new sample of one container, oldest first (the recent past first, then live),
   * and `onStatus` with what else happens to it. `target` is a full id, a name, a unique id prefix, any of them
   * on one host as `<host>/<ref>` (`web-1` on any host, `edge/web-1` on host `edge` only), or `SCOPE` (`-`)
   * for the share token's container; with a share token, a watch of any other container gets the error
   * `forbidden` and no samples. A target that containers on several hosts answer to gets the error
   * `ambiguous`. A watch of a name moves to a new container of that name when it is re-created. Returns the
   * function that ends it.
   */
  watch(target: string, onSample: (sample: Sample) => void, onStatus?: (status: WatchStatus) => void): () => void {
    // Called from plain JavaScript too: a wrong argument is a programmer's mistake, said at once.
    if (typeof target !== 'string' || target === '') {
      throw new TypeError('watch(target, …): target must be a container id or name, "<host>/<id or name>", or "-"');
    }
    if (typeof onSample !== 'function') throw new TypeError('watch(target, onSample): onSample must be a function');
    // Each watch gets its own function, so that one callback given to two watches is called for each.
    const status = onStatus ? (s: WatchStatus) => onStatus(s) : undefined;
    if (status) this.#statusListeners.add(status);
    const off = this.#watcher.watch(target, {
      container: ({ host, id, name }) => status?.({ type: 'container', host, id, name }),
      samples: (samples) => {
        for (const s of samples) onSample(s);
      },
      state: (state) => status?.({ type: 'state', state }),
      problem: (code, message) => status?.({ type: 'error', code, message }),
    });
    return () => {
      if (status) this.#statusListeners.delete(status);
      off();
    };
  }

  /**
   * Calls `onList` with every container of every host (sorted by name, then host), now and after every change.
   * Its second argument is the engines' status (with several hosts, `down` while any host does not answer),
   * its third every host (sorted by name) with its own state, engine and container counts. Needs full access:
   * with a share token `onError` is called once instead (without `onError`, the console says why). Returns the
   * function that ends it.
   */
  containers(
    onList: (list: ContainerSummary[], engine: EngineStatus, hosts: HostInfo[]) => void,
    onError?: (error: ListError) => void,
  ): () => void {
    return this.#watcher.list({
      list: (list, engine, hosts) => onList([...list], engine, [...hosts]),
      refused: (code, message) => {
        if (onError) onError({ type: 'error', code, message });
        else console.warn(`dockpulse: containers(): ${message}`);
      },
    });
  }

  /**
   * A container's stored history from `query.from` to `query.to`: for each figure, the average, least and
   * greatest per step, with `null` where nothing was recorded. `target` is a container as `watch()` takes it
   * (`'<host>/<ref>'`, `{ host, ref }`, a full id, a name on a gateway of one host, or `SCOPE` for a share
   * token's container). Over the socket an answer holds at most 5000 points: ask a larger `step` for a longer
   * span. Fails with a `HistoryError`.
   */
  async history(target: string | { host: string; ref: string }, query: HistoryQuery): Promise<HistoryRange> {
    if (typeof target !== 'string' && (typeof target !== 'object' || target === null)) {
      throw new TypeError('history(target, query): target must be "<host>/<id or name>", { host, ref }, an id or "-"');
    }
    const topic = await this.#topicOf(target);
    return this.#feed.range({ topic, ...query });
  }

  /** The stats topic that names `target` in a range request. */
  async #topicOf(target: string | { host: string; ref: string }): Promise<string> {
    if (typeof target !== 'string') return hostStatsTopic(target.host, target.ref);
    const { host, ref } = parseContainerRef(target);
    if (host !== undefined && target !== SCOPE) return hostStatsTopic(host, ref);
    const hello = this.#feed.hello ?? (await this.#nextHello());
    const scope = hello.scope;
    if (target === SCOPE) {
      if (scope.kind !== 'container') throw new RangeQueryError('no_scope', 'history("-") needs a share token; name a container instead');
      return hostStatsTopic(scope.host, scope.id);
    }
    if (scope.kind === 'container') return hostStatsTopic(scope.host, ref);
    if (hello.hosts?.length === 1 && hello.hosts[0]) return hostStatsTopic(hello.hosts[0].name, ref);
    if (isContainerId(ref)) return statsTopic(ref);
    throw new RangeQueryError('ambiguous', `this gateway serves several hosts: name one, "<host>/${ref}"`);
  }

  /** The next `hello`, which says the socket's scope and the gateway's hosts. */
  #nextHello(): Promise<HelloMessage> {
    return new Promise((resolve, reject) => {
      const end = (outcome: HelloMessage | RangeQueryError) => {
        clearTimeout(timer);
        off();
        this.#helloWaits.delete(cancel);
        if (outcome instanceof RangeQueryError) reject(outcome);
        else resolve(outcome);
      };
      const cancel = () => end(new RangeQueryError('closed', 'the client was closed'));
      const timer = setTimeout(() => end(new RangeQueryError('timeout', 'the gateway did not answer')), RANGE_TIMEOUT_MS);
      const off = this.#feed.on('message', (msg) => {
        if (msg.type === 'hello') end(msg);
      });
      this.#helloWaits.add(cancel);
    });
  }

  /** Closes the socket and stops reconnecting; no callback is called after this. */
  close(): void {
    this.#statusListeners.clear();
    for (const cancel of [...this.#helloWaits]) cancel();
    this.#watcher.close();
    this.#feed.close();
  }
}
