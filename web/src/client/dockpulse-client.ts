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
import { ContainerWatcher } from './container-watch.js';
import { FeedClient } from './feed-client.js';
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

  /** Closes the socket and stops reconnecting; no callback is called after this. */
  close(): void {
    this.#statusListeners.clear();
    this.#watcher.close();
    this.#feed.close();
  }
}
