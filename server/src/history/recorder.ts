/**
 * Records every sample the hub publishes into the history store: samples are rolled up into one point a
 * minute per container in memory, and the finished points are written a few seconds after each minute ends,
 * in one transaction (each also merged into its hour). Old points are pruned every hour. What is being filled
 * when the gateway stops is written as it is, and merged with the rest of its minute when the gateway comes
 * back.
 */
import type { Sample } from '@dockpulse/shared';
import type { Logger } from '../log.js';
import { Rollup, type Point } from './rollup.js';
import { TIER_STEP, type HistoryStore, type StoredTier } from './store.js';

/** How soon a write that failed is tried again. */
const RETRY_MS = 5000;
/** A minute's point is finished this long after its minute ends, for the samples read at its very end. */
const LATE_S = 3;
/** Past the moment a minute's points are finished, so that a timer that fires on time finds them so. */
const FLUSH_MARGIN_MS = 100;
/** How often old points are pruned. */
const PRUNE_MS = 3_600_000;
/**
 * Points written in one transaction. A thousand containers' minute takes over 100 ms to write in one go, and
 * the event loop serves every socket: the rest follows on the next turn of the loop.
 */
const CHUNK = 200;
/** Points kept waiting while the store cannot be written, before the oldest are dropped. */
const MAX_PENDING = 200_000;

export interface RecorderOptions {
  store: Pick<HistoryStore, 'write' | 'prune'>;
  /** Subscribes to every sample published; returns the unsubscribe. */
  onSample: (listener: (s: Sample) => void) => () => void;
  /** A container's name and image now, for the containers table. */
  describe: (host: string, id: string) => { name: string; image: string } | undefined;
  /** How long each tier is kept, in seconds. */
  keepS: Record<StoredTier, number>;
  log: Logger;
  now?: () => number;
}

/** Counts, for /healthz and /metrics. */
export interface RecorderStats {
  written: number;
  failed: number;
  dropped: number;
  pending: number;
}

export class Recorder {
  private readonly rollup = new Rollup(TIER_STEP.minute);
  /** Each container's name and image as it was last sampled, by host then id (looked up for every sample). */
  private readonly names = new Map<string, Map<string, { name: string; image: string }>>();
  private pending: Point[] = [];
  private readonly stats_: RecorderStats = { written: 0, failed: 0, dropped: 0, pending: 0 };
  private off: (() => void) | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private stopped = false;
  private chunking: NodeJS.Immediate | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: RecorderOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.prune();
    this.off = this.opts.onSample((s) => {
      const done = this.rollup.add(s);
      if (done) this.pending.push(done);
      let host = this.names.get(s.host);
      if (host === undefined) {
        host = new Map();
        this.names.set(s.host, host);
      }
      if (!host.has(s.id)) {
        const d = this.opts.describe(s.host, s.id);
        if (d) host.set(s.id, d);
      }
    });
    this.scheduleFlush();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_MS);
    this.pruneTimer.unref();
  }

  /**
   * Sets the next write for when the next minute's points are finished (once a minute: a timer that fired every
   * few seconds woke an idle gateway for nothing), or sooner while writing fails.
   */
  private scheduleFlush(): void {
    if (this.stopped) return;
    const now = this.now();
    const step = TIER_STEP.minute;
    const finished = (Math.floor((Math.floor(now / 1000) - LATE_S) / step) + 1) * step + LATE_S;
    const delay = this.failing ? RETRY_MS : Math.min(Math.max(0, finished * 1000 - now), step * 1000) + FLUSH_MARGIN_MS;
    this.flushTimer = setTimeout(() => {
      this.flush();
      this.scheduleFlush();
    }, delay);
    this.flushTimer.unref();
  }

  /** Writes every finished point, a chunk now and the rest on the following turns of the event loop. */
  flush(): void {
    this.pending.push(...this.rollup.finishBefore(Math.floor(this.now() / 1000) - LATE_S));
    this.writeChunks();
  }

  private writeChunks(): void {
    if (this.chunking) return;
    const next = (): void => {
      this.chunking = undefined;
      if (this.stopped) return;
      const more = this.write(CHUNK);
      if (more) this.chunking = setImmediate(next);
    };
    next();
  }

  get stats(): RecorderStats {
    return { ...this.stats_, pending: this.pending.length };
  }

  /** Stops recording, writes every point, the running minute's too. */
  stop(): void {
    this.stopped = true;
    this.off?.();
    clearTimeout(this.flushTimer);
    clearInterval(this.pruneTimer);
    if (this.chunking) clearImmediate(this.chunking);
    this.pending.push(...this.rollup.finishAll());
    this.write(Infinity);
  }

  /** Writes up to `most` of the waiting points; true when some are still waiting and writing works. */
  private write(most: number): boolean {
    if (this.pending.length === 0) return false;
    const points = this.pending.length <= most ? this.pending : this.pending.slice(0, most);
    try {
      this.opts.store.write(points, (host, id) => this.describe(host, id));
      this.stats_.written += points.length;
      this.pending = this.pending.length === points.length ? [] : this.pending.slice(points.length);
      if (this.failing) this.opts.log.info('history written again', { points: points.length });
      this.failing = false;
      // A name is asked again at the container's next point, so that a rename is recorded.
      if (this.pending.length === 0) this.names.clear();
      return this.pending.length > 0;
    } catch (e) {
      this.stats_.failed++;
      if (!this.failing) this.opts.log.warn('history not written; retrying', { error: e instanceof Error ? e.message : String(e) });
      this.failing = true;
      if (this.pending.length > MAX_PENDING) {
        this.stats_.dropped += this.pending.length - MAX_PENDING;
        this.pending = this.pending.slice(this.pending.length - MAX_PENDING);
      }
      return false;
    }
  }

  private describe(host: string, id: string): { name: string; image: string } {
    return this.names.get(host)?.get(id) ?? this.opts.describe(host, id) ?? { name: id.slice(0, 12), image: '' };
  }

  private prune(): void {
    try {
      const deleted = this.opts.store.prune(Math.floor(this.now() / 1000), this.opts.keepS);
      if (deleted > 0) this.opts.log.debug('history pruned', { rows: deleted });
    } catch (e) {
      this.opts.log.warn('history not pruned', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
