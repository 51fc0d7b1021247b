/**
 * The overview's sparklines over the last hour: each container's CPU minute points, asked of the gateway
 * while its row is on screen and again each minute, a few queries a second (see `dueKeys`). Each row reads
 * its own entry, so an answer redraws one sparkline.
 */
import { ErrorCode, hostStatsTopic, type Columns, type HistoryRange } from '@dockpulse/shared';
import { RangeQueryError, type RangeQuery } from '../client/feed-client.js';
import { SPARK_HOUR_REFRESH_MS, dueKeys } from './spark-history.js';

/** The span a sparkline of the hour shows. */
export const SPARK_HOUR_MS = 3_600_000;
const TICK_MS = 1000;
const EMPTY: Columns = [[], []];

/** One container's hour of CPU. */
export class SparkHour {
  /** Minute points, x in seconds; a null where nothing was recorded. Empty until the first answer. */
  columns: Columns = $state.raw(EMPTY);
  readonly topic: string;

  constructor(host: string, id: string) {
    this.topic = hostStatsTopic(host, id);
  }
}

export class SparkHours {
  /** The gateway keeps no history: there is no hour to show. */
  unavailable = $state(false);

  readonly #ask: (q: RangeQuery) => Promise<HistoryRange>;
  readonly #now: () => number;
  readonly #entries = new Map<string, SparkHour>();
  /** Rows on screen, counted (a key may be watched twice while a row re-renders). */
  readonly #wanted = new Map<string, number>();
  readonly #fetchedAt = new Map<string, number>();
  readonly #inFlight = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(ask: (q: RangeQuery) => Promise<HistoryRange>, now: () => number = Date.now) {
    this.#ask = ask;
    this.#now = now;
  }

  /** Starts asking; returns the function that stops. */
  start(): () => void {
    this.#timer = setInterval(() => this.tick(), TICK_MS);
    return () => {
      clearInterval(this.#timer);
      this.#timer = undefined;
    };
  }

  /** The entry of a container, `<host>/<id>`: what its row draws. */
  entry(host: string, id: string): SparkHour {
    const key = `${host}/${id}`;
    let e = this.#entries.get(key);
    if (!e) {
      e = new SparkHour(host, id);
      this.#entries.set(key, e);
    }
    return e;
  }

  /** Keeps a container's hour fresh while its row is on screen; returns the function that stops. */
  watch(host: string, id: string): () => void {
    const key = `${host}/${id}`;
    this.entry(host, id);
    this.#wanted.set(key, (this.#wanted.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.#wanted.get(key) ?? 1) - 1;
      if (n > 0) this.#wanted.set(key, n);
      else this.#wanted.delete(key);
    };
  }

  /** Asks for the hours that are due. Called every second while started. */
  tick(): void {
    if (this.unavailable) return;
    const now = this.#now();
    for (const key of dueKeys(this.#wanted.keys(), this.#fetchedAt, this.#inFlight, now)) {
      const e = this.#entries.get(key);
      if (!e) continue;
      this.#inFlight.add(key);
      this.#fetchedAt.set(key, now);
      this.#ask({ topic: e.topic, from: now - SPARK_HOUR_MS, to: now, step: 60, metrics: ['cpu'] }).then(
        (r) => {
          this.#inFlight.delete(key);
          e.columns = [r.t.map((t) => t / 1000), r.series.cpu?.avg ?? r.t.map(() => null)];
        },
        (err: unknown) => {
          this.#inFlight.delete(key);
          if (err instanceof RangeQueryError && err.code === ErrorCode.unavailable) this.unavailable = true;
          // Anything else (a timeout, a container gone) is asked again in half a minute, not at once.
          else this.#fetchedAt.set(key, now - SPARK_HOUR_REFRESH_MS / 2);
        },
      );
    }
  }
}
