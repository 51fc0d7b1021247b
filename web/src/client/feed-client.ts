/**
 * The client of the dockpulse feed, in a browser or in Node: one WebSocket, an explicit connection state,
 * reconnect with jittered capped exponential backoff, and the subscribed topics resent after every reconnect.
 * Modelled on centrifuge-js. The dashboard, its single-container views and the published `dockpulse-client.js`
 * all use it.
 */
import {
  CloseCode,
  ErrorCode,
  PROTOCOL,
  STATS_TOPIC_PREFIX,
  parseServerMessage,
  type ClientMessage,
  type HelloMessage,
  type HistoryMetric,
  type HistoryRange,
  type RangeRequestMessage,
  type ServerMessage,
} from '@dockpulse/shared';
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.js';

/** `connecting`: socket opening, or open and waiting for `hello`. `open`: `hello` received. `closed`: no socket. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/** Why the client is in its state; passed with every state change. */
export interface StateDetail {
  /** Close code of the socket that just closed. */
  code?: number;
  reason?: string;
  /** When the next connection attempt starts, ms since the epoch, while one is scheduled. */
  retryAt?: number;
  /** The server refused this client for good (see `FINAL_CLOSE_CODES`): no retry is scheduled. */
  final?: boolean;
}

export interface FeedClientOptions {
  /** `ws://` or `wss://` address of the feed, for example `wss://host/ws`. */
  url: string;
  /** Subprotocols to offer; `dockpulse.v1` by default. A browser offers its token here too. */
  protocols?: readonly string[];
  backoff?: BackoffOptions;
  /** Topics per subscribe frame, to stay well inside the server's frame and topic-list limits. */
  topicsPerFrame?: number;
  /** The WebSocket constructor; the global one by default. */
  WebSocket?: typeof WebSocket;
  /**
   * Seconds of history to ask for on subscribing to a stats topic of which no sample is held yet; undefined
   * asks for all the server keeps. Once samples are held, see `resumeFrom`.
   */
  history?: number;
}

/** When the newest sample held for a stats topic was taken, ms since the epoch; undefined when none is. */
export type LastSampleAt = (topic: string) => number | undefined;

interface Events {
  state: (state: ConnectionState, detail: StateDetail) => void;
  message: (message: ServerMessage) => void;
  /** A frame that does not parse: the server speaks a protocol this client does not know. */
  invalid: (reason: string) => void;
}

/**
 * Close codes after which reconnecting with the same credentials cannot succeed: the protocol says not to
 * retry blindly. The client stops; `connect()` starts again (after a log-in, say).
 */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([
  CloseCode.protocolViolation,
  CloseCode.unauthorized,
  CloseCode.forbidden,
  CloseCode.tokenExpired,
]);

/** Error codes after which resubscribing to the same topic cannot succeed. */
const FINAL_TOPIC_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.notFound,
  ErrorCode.badTopic,
  ErrorCode.forbidden,
  ErrorCode.tooManySubscriptions,
]);

/** Before `hello` says otherwise. */
const DEFAULT_INTERVAL_MS = 1000;

/**
 * Seconds of history that cover what was missed since the newest sample held, taken at `lastT`: the gap up to
 * `now` plus one sampling interval, so that the sample taken just before the socket dropped is not lost to
 * rounding. Samples already held that come again are the holder's to skip.
 */
export function historyToResume(lastT: number, intervalMs: number, now: number): number {
  return Math.max(0, Math.ceil((now - lastT + intervalMs) / 1000));
}

/**
 * Multiples of the sampling interval. With nothing received for one interval the client pings, so a quiet but
 * healthy socket (no containers) still shows traffic; with nothing for `DEAD_AFTER` intervals the socket is
 * taken for half-open (a laptop resumed, a proxy dropped it) and replaced.
 */
const PING_AFTER = 1;
const DEAD_AFTER = 10;

/**
 * A server that accepts the TCP connection but never answers the upgrade (stopped, or a proxy holding it)
 * would leave a socket `connecting` for as long as the browser cares to wait; give up sooner and retry.
 */
const HELLO_TIMEOUT_MS = 10_000;

/** How long a `range` request waits for its answer, from when it is asked, before it fails with `timeout`. */
export const RANGE_TIMEOUT_MS = 15_000;

/** A range query over the socket: `topic` names the container as a stats topic does. */
export interface RangeQuery {
  topic: string;
  /** ms since the epoch. */
  from: number;
  to: number;
  /** Seconds between points; the gateway picks when absent. */
  step?: number;
  metrics?: HistoryMetric[];
}

/**
 * Why a range query failed: an `error` code the gateway answered it with (`unavailable` where it keeps no
 * history, `forbidden` for another container than a share token's, `not_found`, `bad_message` for a span it
 * will not answer), `timeout` when no answer came in time, `closed` when the client was closed first.
 */
export type RangeQueryErrorCode = ErrorCode | 'timeout' | 'closed';

/** Codes the published client finds itself, before asking the gateway (see `DockpulseClient.history`). */
type TargetErrorCode = 'ambiguous' | 'no_scope';

/** A failed range query; `code` says why, `message` in words. */
export class RangeQueryError extends Error {
  override readonly name = 'RangeQueryError';
  readonly code: RangeQueryErrorCode | TargetErrorCode;

  constructor(code: RangeQueryErrorCode | TargetErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

interface PendingRange {
  msg: RangeRequestMessage;
  resolve: (range: HistoryRange) => void;
  reject: (e: RangeQueryError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** One connection to a dockpulse server. Call `connect()` to start and `close()` to stop for good. */
export class FeedClient {
  readonly #opts: Required<Omit<FeedClientOptions, 'WebSocket' | 'history'>> & Pick<FeedClientOptions, 'WebSocket' | 'history'>;
  readonly #topics = new Set<string>();
  readonly #toSubscribe = new Set<string>();
  readonly #toUnsubscribe = new Set<string>();
  readonly #listeners: { [K in keyof Events]: Set<Events[K]> } = {
    state: new Set(),
    message: new Set(),
    invalid: new Set(),
  };
  #state: ConnectionState = 'closed';
  #ws: WebSocket | null = null;
  #hello: HelloMessage | null = null;
  #attempt = 0;
  #wanted = false;
  #flushQueued = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;
  #lastFrameAt = 0;
  #lastSampleAt: LastSampleAt | undefined;
  readonly #ranges = new Map<string, PendingRange>();
  #nextReq = 0;

  constructor(opts: FeedClientOptions) {
    this.#opts = {
      url: opts.url,
      protocols: opts.protocols ?? [PROTOCOL],
      backoff: opts.backoff ?? DEFAULT_BACKOFF,
      topicsPerFrame: opts.topicsPerFrame ?? 64,
      WebSocket: opts.WebSocket,
      history: opts.history,
    };
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The `hello` of the current connection; null before it arrives. */
  get hello(): HelloMessage | null {
    return this.#hello;
  }

  /** When the last frame arrived, ms since the epoch; 0 before any. */
  get lastFrameAt(): number {
    return this.#lastFrameAt;
  }

  /** Topics this client wants; resubscribed on every reconnect. */
  get topics(): ReadonlySet<string> {
    return this.#topics;
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Starts connecting, and keeps reconnecting until `close()` or a close code in `FINAL_CLOSE_CODES`. */
  connect(): void {
    if (this.#wanted) return;
    this.#wanted = true;
    this.#attempt = 0;
    this.#open();
  }

  /** Closes the socket and stops reconnecting; range queries still waiting fail with `closed`. */
  close(): void {
    this.#wanted = false;
    for (const [req, p] of [...this.#ranges]) this.#settleRange(req, p, new RangeQueryError('closed', 'the client was closed'));
    clearTimeout(this.#retryTimer);
    this.#drop(1000, 'client closed');
    this.#setState('closed', {});
  }

  /** Subscribes to topics now if connected, and after every reconnect. */
  subscribe(topics: Iterable<string>): void {
    for (const t of topics) {
      if (this.#topics.has(t)) continue;
      this.#topics.add(t);
      this.#toUnsubscribe.delete(t);
      this.#toSubscribe.add(t);
    }
    this.#queueFlush();
  }

  /** Unsubscribes from topics. */
  unsubscribe(topics: Iterable<string>): void {
    for (const t of topics) {
      if (!this.#topics.delete(t)) continue;
      if (!this.#toSubscribe.delete(t)) this.#toUnsubscribe.add(t);
    }
    this.#queueFlush();
  }

  /**
   * Names the holder of the samples: on (re)subscribing to a stats topic of which it holds samples, the client
   * asks only for those missed since the newest (`historyToResume`), not for all the history again. One
   * holder at a time; returns the function that removes it.
   */
  resumeFrom(lastSampleAt: LastSampleAt): () => void {
    if (this.#lastSampleAt) throw new Error('FeedClient.resumeFrom: the samples already have a holder');
    this.#lastSampleAt = lastSampleAt;
    return () => {
      if (this.#lastSampleAt === lastSampleAt) this.#lastSampleAt = undefined;
    };
  }

  /**
   * Asks the gateway for a container's stored history. Sent at once when the socket is open, else when it
   * opens; a query still unanswered when the socket drops is asked again on the next socket (it only reads).
   * Fails with a `RangeQueryError` when the gateway answers with an `error`, after `timeoutMs`, or on `close()`.
   */
  range(query: RangeQuery, timeoutMs: number = RANGE_TIMEOUT_MS): Promise<HistoryRange> {
    const req = `r${++this.#nextReq}`;
    const msg: RangeRequestMessage = { type: 'range', req, topic: query.topic, from: query.from, to: query.to };
    if (query.step !== undefined) msg.step = query.step;
    if (query.metrics !== undefined) msg.metrics = query.metrics;
    return new Promise<HistoryRange>((resolve, reject) => {
      const timer = setTimeout(() => {
        const p = this.#ranges.get(req);
        if (p)
          this.#settleRange(req, p, new RangeQueryError('timeout', `no answer from the gateway within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.#ranges.set(req, { msg, resolve, reject, timer });
      if (this.#state === 'open') this.#send(msg);
    });
  }

  #settleRange(req: string, p: PendingRange, outcome: HistoryRange | RangeQueryError): void {
    this.#ranges.delete(req);
    clearTimeout(p.timer);
    if (outcome instanceof RangeQueryError) p.reject(outcome);
    else p.resolve(outcome);
  }

  /** Sends a ping; the server answers `pong`. */
  ping(): void {
    this.#send({ type: 'ping' });
  }

  #open(): void {
    const Ctor = this.#opts.WebSocket ?? globalThis.WebSocket;
    this.#hello = null;
    this.#setState('connecting', {});
    let ws: WebSocket;
    try {
      ws = new Ctor(this.#opts.url, [...this.#opts.protocols]);
    } catch (e) {
      // A malformed URL throws synchronously; retrying on a timer is still the right reaction to a typo'd
      // host that may be fixed by a reload, and it keeps the state machine in one shape.
      this.#scheduleRetry({ reason: e instanceof Error ? e.message : String(e) });
      return;
    }
    this.#ws = ws;
    this.#helloTimer = setTimeout(() => {
      if (this.#ws !== ws || this.#hello) return;
      this.#drop(4000, 'no hello');
      this.#scheduleRetry({ reason: 'the server did not answer' });
    }, HELLO_TIMEOUT_MS);
    ws.onmessage = (ev: MessageEvent) => this.#onFrame(ev.data);
    ws.onclose = (ev: CloseEvent) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#stopHeartbeat();
      clearTimeout(this.#helloTimer);
      if (FINAL_CLOSE_CODES.has(ev.code)) {
        this.#wanted = false;
        this.#setState('closed', { code: ev.code, reason: ev.reason, final: true });
        return;
      }
      this.#scheduleRetry({ code: ev.code, reason: ev.reason });
    };
    // An error is always followed by close, which handles it.
    ws.onerror = () => {};
  }

  #onFrame(data: unknown): void {
    this.#lastFrameAt = Date.now();
    if (typeof data !== 'string') {
      this.#emit('invalid', 'binary frame');
      return;
    }
    const parsed = parseServerMessage(data);
    if (!parsed.ok) {
      this.#emit('invalid', parsed.error);
      return;
    }
    const msg = parsed.value;
    if (msg.type === 'hello' && this.#hello) {
      // A second hello on the same socket: the scope of a share that follows a name moved to a re-created
      // container. The server kept this socket's subscriptions (less the old container's), so nothing is resent.
      this.#hello = msg;
    } else if (msg.type === 'hello') {
      clearTimeout(this.#helloTimer);
      this.#hello = msg;
      this.#attempt = 0;
      this.#startHeartbeat(msg.intervalMs);
      // Everything wanted is resent: the server forgot this client's topics with the old socket.
      this.#toUnsubscribe.clear();
      this.#toSubscribe.clear();
      for (const t of this.#topics) this.#toSubscribe.add(t);
      this.#setState('open', {});
      this.#flush();
      // The old socket's session, and any answer it owed, is gone: ask again.
      for (const p of this.#ranges.values()) this.#send(p.msg);
    } else if (msg.type === 'range' || (msg.type === 'error' && msg.req !== undefined)) {
      const req = msg.req ?? '';
      const p = this.#ranges.get(req);
      if (p) this.#settleRange(req, p, msg.type === 'range' ? msg.range : new RangeQueryError(msg.code, msg.message));
    } else if (msg.type === 'error' && msg.topic !== undefined && FINAL_TOPIC_ERRORS.has(msg.code)) {
      // Resubscribing after a reconnect would only earn the same error again.
      this.#topics.delete(msg.topic);
    } else if (msg.type === 'state' && msg.state === 'removed') {
      // The subscription ended with its container: neither resubscribed after a reconnect (which would earn
      // not_found) nor unsubscribed.
      this.#topics.delete(msg.topic);
    }
    this.#emit('message', msg);
  }

  #scheduleRetry(detail: StateDetail): void {
    if (!this.#wanted) return;
    const delay = backoffDelay(this.#attempt++, this.#opts.backoff);
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
    this.#setState('closed', { ...detail, retryAt: Date.now() + delay });
  }

  /** Forgets the current socket without waiting for its close handshake. */
  #drop(code: number, reason: string): void {
    const ws = this.#ws;
    this.#ws = null;
    this.#stopHeartbeat();
    clearTimeout(this.#helloTimer);
    if (!ws) return;
    ws.onmessage = null;
    ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      // Closing a socket that never opened can throw in some engines; it is being discarded either way.
    }
  }

  #startHeartbeat(intervalMs: number): void {
    this.#stopHeartbeat();
    const every = intervalMs > 0 ? intervalMs : DEFAULT_INTERVAL_MS;
    this.#heartbeat = setInterval(() => {
      const quiet = Date.now() - this.#lastFrameAt;
      if (quiet > every * DEAD_AFTER) {
        this.#drop(4000, 'no frames');
        this.#scheduleRetry({ reason: 'no frames from the server' });
      } else if (quiet >= every * PING_AFTER) {
        this.ping();
      }
    }, every);
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Topics added in one burst (a containers frame listing 200 containers) go out as one frame.
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#state !== 'open') return;
    const per = this.#opts.topicsPerFrame;
    const unsub = [...this.#toUnsubscribe];
    const sub = [...this.#toSubscribe];
    this.#toUnsubscribe.clear();
    this.#toSubscribe.clear();
    // Unsubscribe first so that a swap of topics near the limit does not overshoot it.
    for (let i = 0; i < unsub.length; i += per) this.#send({ type: 'unsubscribe', topics: unsub.slice(i, i + per) });
    // Topics that want the same amount of history share a frame.
    const byHistory = new Map<number | undefined, string[]>();
    for (const t of sub) {
      const seconds = this.#historyFor(t);
      const group = byHistory.get(seconds);
      if (group) group.push(t);
      else byHistory.set(seconds, [t]);
    }
    for (const [history, topics] of byHistory) {
      for (let i = 0; i < topics.length; i += per) {
        const msg: ClientMessage = { type: 'subscribe', topics: topics.slice(i, i + per) };
        if (history !== undefined) msg.history = history;
        this.#send(msg);
      }
    }
  }

  /** Seconds of history to ask for on subscribing to `topic`; undefined for all the server keeps. */
  #historyFor(topic: string): number | undefined {
    if (!topic.startsWith(STATS_TOPIC_PREFIX)) return undefined;
    const last = this.#lastSampleAt?.(topic);
    if (last === undefined) return this.#opts.history === undefined ? undefined : Math.max(0, Math.ceil(this.#opts.history));
    return historyToResume(last, this.#hello?.intervalMs ?? DEFAULT_INTERVAL_MS, Date.now());
  }

  #send(msg: ClientMessage): void {
    const ws = this.#ws;
    if (ws && ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }

  #setState(state: ConnectionState, detail: StateDetail): void {
    this.#state = state;
    this.#emit('state', state, detail);
  }

  #emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const l of this.#listeners[event]) (l as (...a: Parameters<Events[K]>) => void)(...args);
  }
}
