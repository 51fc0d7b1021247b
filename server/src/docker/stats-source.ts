import type { Result, TopicState } from '@dockpulse/shared';
import { listStateOf, type StatsSink, type StatsUpstream, type StreamCounters } from '../source/source.js';
import type { Engine } from './engine.js';
import type { ContainerList } from './container-list.js';
import { NdjsonDecoder } from './ndjson.js';
import { parseEngineStats, type EngineReading, type NotRunning } from '../stats/engine-stats.js';
import { toSample } from '../stats/sample.js';
import { DEFAULT_BACKOFF, FailureLog, backoffDelay, type BackoffOptions } from '../backoff.js';
import type { Logger } from '../log.js';

/** Largest stats frame accepted from the engine (a container with many interfaces or devices stays far below). */
const MAX_STATS_BYTES = 1024 * 1024;

/** How often dockerd's collector reads every container. */
const ENGINE_INTERVAL_MS = 1000;

/** How long to wait for a container to change state before looking again. */
const IDLE_RECHECK_MS = 30_000;

/** An engine's stats stream of one container, as the engine sends it. */
export type StatsStream = NodeJS.ReadableStream & { destroy(): void };

/** How one container's stats stream is opened and read: Docker's endpoint, or another engine's. */
export interface StatsEndpoint {
  open(id: string, signal: AbortSignal): Promise<StatsStream>;
  /** One decoded frame of container `id`'s stream, given the reading this stream delivered before it. */
  parse(raw: unknown, id: string, prev: EngineReading | undefined): Result<EngineReading | NotRunning, string>;
  /**
   * Whether the stream is ended at a frame saying the container is not running; else it is read on until the
   * list says the container stopped (dockerd sends such a frame once a second, which costs nothing to read).
   */
  endWhenNotRunning: boolean;
}

/** `GET /containers/{id}/stats?stream=1`, whose frames carry the engine's previous reading (`precpu_stats`). */
export function dockerStatsEndpoint(engine: Engine): StatsEndpoint {
  return {
    open: async (id, signal) =>
      (await engine.docker.getContainer(id).stats({ stream: true, abortSignal: signal } as { stream: true })) as unknown as StatsStream,
    parse: (raw) => parseEngineStats(raw),
    endWhenNotRunning: false,
  };
}

/**
 * Stats from the engine's API: one `GET /containers/{id}/stats?stream=1` per watched container, open while
 * the container runs, shared by all of its subscribers through the hub, and destroyed when the hub stops
 * watching. State comes from the live container list, and from the stream's own name-and-id-only frames
 * that the engine sends for a container that is not running.
 */
export class DockerStatsSource implements StatsUpstream {
  readonly streams: StreamCounters = { open: 0, opened: 0 };

  constructor(
    private readonly host: string,
    engine: Engine,
    private readonly list: ContainerList,
    private readonly log: Logger,
    /** Samples closer together than this are skipped; the engine itself reads once a second. */
    private readonly intervalMs: number = 1000,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly endpoint: StatsEndpoint = dockerStatsEndpoint(engine),
  ) {}

  watch(id: string, sink: StatsSink, signal: AbortSignal): void {
    this.run(id, sink, signal).catch((e: unknown) => {
      this.log.error('stats watcher crashed', { container: id, error: e instanceof Error ? e.message : String(e) });
    });
  }

  private async run(id: string, sink: StatsSink, signal: AbortSignal): Promise<void> {
    const log = this.log.with({ container: id });
    const failures = new FailureLog(log, 'docker stats stream');
    let current: TopicState | undefined;
    let stream: AbortController | undefined;
    const emit = (state: TopicState): void => {
      if (state === current) return;
      current = state;
      sink.state(state);
    };
    const onListChange = (): void => {
      const state = this.stateOf(id);
      if (state === undefined) return;
      emit(state);
      // Stop reading a container that no longer runs; a start reopens the stream.
      if (state !== 'running' && state !== 'paused') stream?.abort();
    };
    const off = this.list.onChange(onListChange);
    let attempt = 0;
    try {
      while (!signal.aborted) {
        const state = this.stateOf(id);
        if (state !== undefined) emit(state);
        if (state === 'removed') return;
        if (state !== 'running' && state !== 'paused') {
          await this.list.waitForChange(IDLE_RECHECK_MS, signal);
          continue;
        }
        const own = new AbortController();
        stream = own;
        const stop = (): void => own.abort();
        signal.addEventListener('abort', stop, { once: true });
        try {
          await this.stream(
            id,
            own.signal,
            (reading) => {
              if (reading.kind === 'not-running') {
                emit('stopped');
                return;
              }
              attempt = 0;
              failures.recovered();
              if (current !== 'paused') emit('running');
            },
            sink,
          );
          // The engine ended the stream by itself: look again, but never in a tight loop.
          if (!own.signal.aborted) await this.list.waitForChange(backoffDelay(attempt++, this.backoff), signal);
        } catch (e) {
          if (signal.aborted) return;
          failures.failed(e);
          await this.list.waitForChange(backoffDelay(attempt++, this.backoff), signal);
        } finally {
          signal.removeEventListener('abort', stop);
          stream = undefined;
        }
      }
    } finally {
      off();
    }
  }

  private stateOf(id: string): TopicState | undefined {
    return listStateOf(this.list, id);
  }

  /**
   * Reads one stats stream until it ends or `signal` aborts; each running reading becomes a sample computed
   * against the previous one of the same stream.
   */
  private async stream(
    id: string,
    signal: AbortSignal,
    onReading: (r: EngineReading | { kind: 'not-running' }) => void,
    sink: StatsSink,
  ): Promise<void> {
    const res = await this.endpoint.open(id, signal);
    this.streams.open++;
    this.streams.opened++;
    const decoder = new NdjsonDecoder(MAX_STATS_BYTES);
    let prev: EngineReading | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const abort = (): void => {
          res.destroy();
          resolve();
        };
        if (signal.aborted) return abort();
        signal.addEventListener('abort', abort, { once: true });
        res.on('data', (chunk: Buffer) => {
          for (const line of decoder.push(chunk)) {
            if (!line.ok) {
              this.log.debug('unreadable stats frame', { container: id, error: line.error });
              continue;
            }
            const parsed = this.endpoint.parse(line.value, id, prev);
            if (!parsed.ok) {
              this.log.debug('malformed stats frame', { container: id, error: parsed.error });
              continue;
            }
            const reading = parsed.value;
            onReading(reading);
            if (reading.kind === 'not-running') {
              // Counters start again from zero when it runs again.
              prev = undefined;
              if (this.endpoint.endWhenNotRunning) return abort();
              continue;
            }
            // The engine reads about once a second, with jitter; only a longer interval thins its readings,
            // with half the engine's period as slack so that a reading taken early is not skipped.
            if (prev && this.intervalMs > ENGINE_INTERVAL_MS && reading.read - prev.read < this.intervalMs - ENGINE_INTERVAL_MS / 2) {
              continue;
            }
            sink.sample(toSample(this.host, id, reading, prev));
            prev = reading;
          }
        });
        res.on('end', () => resolve());
        res.on('close', () => resolve());
        res.on('error', (e: Error) => (signal.aborted ? resolve() : reject(e)));
      });
    } finally {
      res.destroy();
      this.streams.open--;
    }
  }
}
