/**
 * Whether what a view shows is live, as signals: the feed client's connection state, why it last closed, and
 * whether frames keep coming. The dashboard and the single-container views (shared link, embed) extend it.
 */
import type { HelloMessage, HistoryRange } from '@dockpulse/shared';
import type { ConnectionState, FeedClient, RangeQuery, StateDetail } from '../client/feed-client.js';

const DEFAULT_INTERVAL_MS = 1000;

/** Live data counts as stopped after this many sampling intervals without a frame. */
export const STALE_AFTER_INTERVALS = 3;

export class FeedStatus {
  connection: ConnectionState = $state('closed');
  /** When the next connection attempt starts, while the client waits to retry. */
  retryAt: number | null = $state(null);
  /** Why the last socket closed, for the connection indicator's tooltip. */
  closeReason: string | null = $state(null);
  /** The close code after which the client stopped for good (`FINAL_CLOSE_CODES`); null while it keeps trying. */
  finalCode: number | null = $state(null);
  hello: HelloMessage | null = $state.raw(null);
  /** No frame for `STALE_AFTER_INTERVALS` intervals, or no open socket: the numbers on screen are not live. */
  stale = $state(true);
  /** A clock for "n seconds ago" texts, ticking once a second. */
  now = $state(Date.now());
  intervalMs = $derived(this.hello?.intervalMs ?? DEFAULT_INTERVAL_MS);

  protected readonly client: FeedClient;

  constructor(client: FeedClient) {
    this.client = client;
  }

  /** Asks the gateway for a container's stored history over this view's socket (see `FeedClient.range`). */
  range(query: RangeQuery): Promise<HistoryRange> {
    return this.client.range(query);
  }

  /** Follows the client's state and frames, and ticks the clock; returns the function that stops following. */
  protected trackStatus(): () => void {
    const offs = [
      this.client.on('state', (state, detail) => this.#onState(state, detail)),
      // Registered before the subclass's own listener, so that `hello` is set when the subclass sees a frame.
      this.client.on('message', (msg) => {
        if (msg.type === 'hello') this.hello = msg;
      }),
    ];
    const clock = setInterval(() => this.#tick(), 1000);
    return () => {
      clearInterval(clock);
      for (const off of offs) off();
    };
  }

  /** Call after handling each frame: one just arrived, so the feed is live; the clock notices when it stops. */
  protected frameArrived(): void {
    if (this.stale && this.connection === 'open') this.stale = false;
  }

  #onState(state: ConnectionState, detail: StateDetail): void {
    this.connection = state;
    this.retryAt = detail.retryAt ?? null;
    this.finalCode = detail.final && detail.code !== undefined ? detail.code : null;
    if (detail.code !== undefined || detail.reason) {
      this.closeReason = [detail.code, detail.reason].filter((x) => x !== undefined && x !== '').join(' ');
    }
    if (state !== 'open') this.stale = true;
  }

  #tick(): void {
    const now = Date.now();
    this.now = now;
    const quiet = now - this.client.lastFrameAt;
    this.stale = this.connection !== 'open' || quiet > STALE_AFTER_INTERVALS * this.intervalMs;
  }
}
