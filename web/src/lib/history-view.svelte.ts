/**
 * The stored history a container's charts show for a long window, as signals: the span asked (the window
 * ending now, or a span zoomed into by a drag), the answer, and whether it is loading or why it failed. A
 * window that ends now moves with the clock: it is asked again every minute, when the gateway has written
 * its next minute point. A zoomed span stays put.
 */
import { ErrorCode, hostStatsTopic, type HistoryRange } from '@dockpulse/shared';
import { RangeQueryError, type RangeQuery } from '../client/feed-client.js';
import { stepFor, zoomSpan } from './history-window.js';

/** How often a window that ends now is asked again. */
export const HISTORY_REFRESH_MS = 60_000;

/** Why there is nothing to draw. `unavailable`: the gateway keeps no history. */
export interface HistoryProblem {
  code: string;
  message: string;
}

export class HistoryView {
  /** The span shown, ms since the epoch. */
  span: { from: number; to: number } = $state.raw({ from: 0, to: 0 });
  /** A drag zoomed into `span`: it is no longer the window ending now. */
  zoomed = $state(false);
  /** The latest answer, kept on screen while the next one loads. */
  range: HistoryRange | null = $state.raw(null);
  loading = $state(false);
  problem: HistoryProblem | null = $state.raw(null);

  readonly #ask: (q: RangeQuery) => Promise<HistoryRange>;
  readonly #topic: string;
  readonly #now: () => number;
  #windowMs = 0;
  /** Bumped on every query, so that a late answer to an older one is dropped. */
  #asked = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `ask` sends a range query (over the view's socket); the container is `host`/`id`. */
  constructor(ask: (q: RangeQuery) => Promise<HistoryRange>, container: { host: string; id: string }, now: () => number = Date.now) {
    this.#ask = ask;
    this.#topic = hostStatsTopic(container.host, container.id);
    this.#now = now;
  }

  /** Shows the window of `windowMs` ending now, and keeps it moving until `stop()`. */
  show(windowMs: number): void {
    this.#windowMs = windowMs;
    this.zoomed = false;
    this.range = null;
    this.#follow();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => {
      if (!this.zoomed) this.#follow();
    }, HISTORY_REFRESH_MS);
  }

  /** Shows a span a drag selected, at the resolution that suits it. */
  zoom(from: number, to: number): void {
    const span = zoomSpan(from, to);
    if (!span || (span.from === this.span.from && span.to === this.span.to)) return;
    this.zoomed = true;
    this.#load(span);
  }

  /** Back to the window ending now. */
  unzoom(): void {
    this.zoomed = false;
    this.#follow();
  }

  /** Asks the current span again (after a failure). */
  retry(): void {
    this.#load(this.span);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#asked++;
  }

  #follow(): void {
    const to = this.#now();
    this.#load({ from: to - this.#windowMs, to });
  }

  #load(span: { from: number; to: number }): void {
    this.span = span;
    const asked = ++this.#asked;
    this.loading = true;
    this.#ask({ topic: this.#topic, from: span.from, to: span.to, step: stepFor(span.to - span.from) }).then(
      (range) => {
        if (asked !== this.#asked) return;
        this.range = range;
        this.problem = null;
        this.loading = false;
      },
      (e: unknown) => {
        if (asked !== this.#asked) return;
        this.loading = false;
        if (e instanceof RangeQueryError && e.code === 'closed') return;
        this.problem =
          e instanceof RangeQueryError
            ? { code: e.code, message: e.message }
            : { code: 'error', message: e instanceof Error ? e.message : String(e) };
        // A gateway that keeps no history has nothing older to show either.
        if (this.problem.code === ErrorCode.unavailable) this.range = null;
      },
    );
  }
}
