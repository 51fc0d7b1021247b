import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { join } from 'node:path';
import type { Result, TopicState } from '@dockpulse/shared';
import {
  listStateOf,
  type BatchEndListener,
  type ContainerDirectory,
  type StatsSink,
  type StatsUpstream,
  type StreamCounters,
} from '../source/source.js';
import type { EngineReading } from '../stats/engine-stats.js';
import { toSample } from '../stats/sample.js';
import { DEFAULT_BACKOFF, FailureLog, backoffDelay, type BackoffOptions } from '../backoff.js';
import type { Logger } from '../log.js';
import { ContainerBuffers, ContainerFiles } from './container-files.js';
import { ProcessNet, describeProcess, type ContainerProcess, type PidLookup } from './container-process.js';
import { locateContainer, type CgroupLayout } from './layout.js';
import { parseMemTotal, parseProcStat, type NetTotals } from './proc-parse.js';
import { toEngineReading, type HostReading } from './reading.js';
import { FdBudget, HeldFile, ReadBuffer, halfTheOpenFileLimit, readSmallFile } from './small-file.js';
import { asPodmanReports } from '../podman/libpod-stats.js';

/** What the cgroup source is built from. */
export interface CgroupSourceOptions {
  /** The host's name, which every sample carries. */
  host: string;
  layout: CgroupLayout;
  list: ContainerDirectory;
  /** Finds a running container's init pid, for its network counters; `enginePidLookup(engine)` in production. */
  pids: PidLookup;
  log: Logger;
  /** Time between readings of every watched container. */
  intervalMs?: number;
  /** Retry pacing of pid lookups that fail. */
  backoff?: BackoffOptions;
  /**
   * Containers read in one synchronous run; between runs the event loop serves sockets. Each run reads the
   * host CPU time once, so a container's reading is never more than one run's duration from it.
   */
  batchSize?: number;
  /**
   * Files held open across reads (seven per container); past it, files are opened for each read. Half the
   * process's limit on open files by default.
   */
  maxHeldFiles?: number;
  /** Readings between two reads of a container's memory limit besides those a change to the list brings. */
  limitEvery?: number;
}

const DEFAULT_BATCH = 64;
/**
 * Readings between two reads of a container's memory limit. A limit changes only when someone changes it:
 * `docker update` does, and its event makes the list change, after which every limit is read again at once;
 * this bounds how long a change made some other way (a write to the cgroup file) goes unseen.
 */
const DEFAULT_LIMIT_EVERY = 10;
/** The budget when the limit on open files cannot be read: 585 containers. */
const FALLBACK_MAX_HELD_FILES = 4096;

/** One watched container. */
interface Watch {
  readonly id: string;
  readonly sink: StatsSink;
  readonly readFailures: FailureLog;
  readonly lookupFailures: FailureLog;
  /** Last state sent to the sink. */
  state: TopicState | undefined;
  /** Last state the list gave, to tell when the list "says otherwise". */
  listed: TopicState | undefined;
  /** The cgroup was gone while the list still said running: the container reads as stopped until the list changes its mind or the files come back. */
  missing: boolean;
  /** Whether a reading succeeded since the watch began, to tell a cgroup this source cannot find from one that went away. */
  everRead: boolean;
  files: ContainerFiles | undefined;
  proc: ContainerProcess | undefined;
  /** Its net/dev, held for as long as `files`: both belong to one run of the container. */
  net: ProcessNet | undefined;
  prev: EngineReading | undefined;
  /** Readings left before the memory limit is read again; it is read whenever this is 0 or `prev` is undefined. */
  limitIn: number;
  lookup: AbortController | undefined;
  lookupAttempt: number;
  /** No pid lookup before this time (ms since the epoch): the backoff after a failed one. */
  lookupAfter: number;
}

/**
 * Stats from the host's cgroup files and /proc instead of the engine's stats API, with dockerd's own
 * collector loop: one timer for every watched container; each tick reads the host CPU time, then each
 * container's files, and publishes a sample computed by the same `toSample` as the Docker source, its
 * previous reading standing in for dockerd's `precpu_stats`. State comes from the live container list, as in
 * the Docker source; a container whose cgroup vanished before the list caught up reads as stopped. The engine
 * is asked only for a container's pid, once per start, for its network counters.
 */
export class CgroupStatsSource implements StatsUpstream {
  /** Watched containers now, and watches opened since start; the same meaning as the Docker source's streams. */
  readonly streams: StreamCounters = { open: 0, opened: 0 };
  private readonly watches = new Set<Watch>();
  private readonly batchListeners = new Set<BatchEndListener>();
  private readonly budget: FdBudget;
  private readonly procStat: HeldFile;
  /** Every read goes into these, container after container. */
  private readonly buffers = new ContainerBuffers();
  private readonly netBuffer = new ReadBuffer();
  private readonly hostBuffer = new ReadBuffer();
  private readonly hostFailures: FailureLog;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly limitEvery: number;
  private readonly backoff: BackoffOptions;
  private timer: NodeJS.Timeout | undefined;
  private offList: (() => void) | undefined;
  private ticking = false;
  private memTotal: number | undefined;

  constructor(private readonly opts: CgroupSourceOptions) {
    this.intervalMs = opts.intervalMs ?? 1000;
    if (!(this.intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${this.intervalMs}`);
    this.batchSize = Math.max(1, opts.batchSize ?? DEFAULT_BATCH);
    this.limitEvery = Math.max(1, opts.limitEvery ?? DEFAULT_LIMIT_EVERY);
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.budget = new FdBudget(opts.maxHeldFiles ?? halfTheOpenFileLimit(FALLBACK_MAX_HELD_FILES));
    this.procStat = new HeldFile(join(opts.layout.procRoot, 'stat'), this.budget);
    this.hostFailures = new FailureLog(opts.log, 'host cpu and memory read');
  }

  /** `listener` runs after each synchronous run of readings, once its samples are published. */
  onBatchEnd(listener: BatchEndListener): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  /** Files held open now: seven per container that is being read (six cgroup files and net/dev), one for /proc/stat. */
  get heldFiles(): number {
    return this.budget.held;
  }

  watch(id: string, sink: StatsSink, signal: AbortSignal): void {
    if (signal.aborted) return;
    const log = this.opts.log.with({ container: id });
    const w: Watch = {
      id,
      sink,
      readFailures: new FailureLog(log, 'cgroup stats read'),
      lookupFailures: new FailureLog(log, 'container pid lookup'),
      state: undefined,
      listed: undefined,
      missing: false,
      everRead: false,
      files: undefined,
      proc: undefined,
      net: undefined,
      prev: undefined,
      limitIn: 0,
      lookup: undefined,
      lookupAttempt: 0,
      lookupAfter: 0,
    };
    this.watches.add(w);
    this.streams.open++;
    this.streams.opened++;
    signal.addEventListener('abort', () => this.unwatch(w), { once: true });
    this.offList ??= this.opts.list.onChange(() => {
      for (const each of [...this.watches]) {
        // A change to the list may be a `docker update` of a limit.
        each.limitIn = 0;
        this.follow(each);
      }
    });
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    this.follow(w);
  }

  private unwatch(w: Watch): void {
    if (!this.watches.delete(w)) return;
    this.streams.open--;
    this.release(w);
    if (this.watches.size > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.offList?.();
    this.offList = undefined;
    this.procStat.close();
  }

  /** Forgets what belongs to one run of the container: files, pid, previous reading, a lookup in flight. */
  private release(w: Watch): void {
    this.closeRun(w);
    w.proc = undefined;
    w.prev = undefined;
    w.lookup?.abort();
    w.lookup = undefined;
  }

  /** Closes the files of the container's run: its cgroup files and its net/dev, whose namespace they would hold. */
  private closeRun(w: Watch): void {
    w.files?.close();
    w.files = undefined;
    w.net?.close();
    w.net = undefined;
  }

  /** Applies what the list says of one container. */
  private follow(w: Watch): void {
    const state = listStateOf(this.opts.list, w.id);
    if (state === undefined) return;
    if (state !== w.listed) {
      w.listed = state;
      w.missing = false;
    }
    if (state === 'running' || state === 'paused') {
      if (!w.missing) this.emit(w, state);
      this.lookUpPid(w);
      return;
    }
    this.release(w);
    // Last: a `removed` state makes the hub abort this watch from inside the call.
    this.emit(w, state);
  }

  private emit(w: Watch, state: TopicState): void {
    if (w.state === state) return;
    w.state = state;
    w.sink.state(state);
  }

  /** Starts a pid lookup unless one is known, in flight or backing off. */
  private lookUpPid(w: Watch): void {
    if (w.proc !== undefined || w.lookup !== undefined || Date.now() < w.lookupAfter) return;
    const lookup = new AbortController();
    w.lookup = lookup;
    const retryLater = (): void => {
      w.lookupAfter = Date.now() + backoffDelay(w.lookupAttempt++, this.backoff);
    };
    this.opts.pids(w.id, lookup.signal).then(
      (pid) => {
        if (w.lookup !== lookup) return;
        w.lookup = undefined;
        w.lookupFailures.recovered();
        // No pid: it stopped meanwhile; the list will say so, or it starts again and a later lookup finds it.
        if (pid === undefined) return retryLater();
        w.lookupAttempt = 0;
        w.proc = describeProcess(this.opts.layout.procRoot, pid);
      },
      (e: unknown) => {
        if (w.lookup !== lookup) return;
        w.lookup = undefined;
        w.lookupFailures.failed(e);
        retryLater();
      },
    );
  }

  private async tick(): Promise<void> {
    // Thousands of containers can make a tick outlast the interval; the next one is skipped, not stacked.
    if (this.ticking) return;
    this.ticking = true;
    try {
      const all = [...this.watches];
      for (let i = 0; i < all.length; i += this.batchSize) {
        if (i > 0) await yieldToEventLoop();
        const host = this.readHost();
        if (host === undefined) return;
        for (const w of all.slice(i, i + this.batchSize)) if (this.watches.has(w)) this.readContainer(w, host);
        const last = i + this.batchSize >= all.length;
        for (const listener of this.batchListeners) listener(last);
      }
    } finally {
      this.ticking = false;
    }
  }

  /** The host's CPU time and online CPUs, and its memory (read once, as dockerd reads it once at start). */
  private readHost(): HostReading | undefined {
    try {
      if (this.memTotal === undefined) {
        const text = readSmallFile(join(this.opts.layout.procRoot, 'meminfo'));
        const parsed = text === undefined ? undefined : parseMemTotal(text);
        if (!parsed?.ok) throw new Error(parsed?.error ?? 'no meminfo');
        this.memTotal = parsed.value;
      }
      const stat = this.procStat.read(this.hostBuffer) ? parseProcStat(this.hostBuffer.text()) : undefined;
      if (!stat?.ok) throw new Error(stat?.error ?? 'no /proc/stat');
      this.hostFailures.recovered();
      return { ...stat.value, memTotal: this.memTotal };
    } catch (e) {
      this.hostFailures.failed(e, { procRoot: this.opts.layout.procRoot });
      return undefined;
    }
  }

  private readContainer(w: Watch, host: HostReading): void {
    const listed = listStateOf(this.opts.list, w.id);
    if (listed !== 'running' && listed !== 'paused') return;
    // Held until the pid is known, so that the first sample already has the network counters.
    if (w.proc === undefined) return this.lookUpPid(w);
    const { layout } = this.opts;
    if (w.files === undefined || w.net === undefined) {
      const dirs = locateContainer(layout, w.id, w.proc.pid);
      if (dirs === undefined) return this.vanished(w);
      w.files = new ContainerFiles(layout.version, dirs, this.budget);
      w.net = new ProcessNet(layout.procRoot, w.proc, this.budget);
    }
    const read = performance.timeOrigin + performance.now();
    const withLimit = w.prev === undefined || w.limitIn <= 0;
    let files: boolean;
    let net: NetTotals | undefined;
    let parsed: Result<EngineReading, string> | undefined;
    try {
      files = w.files.read(this.buffers, withLimit);
      net = files ? w.net.read(this.netBuffer) : undefined;
      parsed = net === undefined ? undefined : toEngineReading(layout.version, this.buffers, net, host, w.prev, read);
    } catch (e) {
      // EACCES, EMFILE: the files are there but cannot be read; the next tick tries again.
      return w.readFailures.failed(e);
    }
    if (!files) {
      // Gone from where it was: stopped, or restarted into a new cgroup at the same path, with a new process
      // and network namespace, whose pid is asked again rather than the old one's files kept.
      this.closeRun(w);
      w.proc = undefined;
      w.prev = undefined;
      if (locateContainer(layout, w.id) === undefined) this.vanished(w);
      return;
    }
    if (net === undefined) {
      // The init process is gone: a restart (new pid) or a stop the list has not caught up with.
      this.closeRun(w);
      w.proc = undefined;
      w.prev = undefined;
      return this.lookUpPid(w);
    }
    if (parsed === undefined || !parsed.ok) return w.readFailures.failed(new Error(parsed?.error ?? 'unreadable'));
    let prev = w.prev;
    let reading = layout.engine === 'podman' ? asPodmanReports(parsed.value) : parsed.value;
    w.limitIn = withLimit ? this.limitEvery - 1 : w.limitIn - 1;
    // A new cgroup counts from zero: one that replaced the old between two ticks shows as a smaller total.
    if (prev !== undefined && reading.cpuTotal < prev.cpuTotal) {
      prev = undefined;
      reading = { ...reading, preCpuTotal: null, preSystemCpu: null };
      // A limit not read this time was the old cgroup's: the next reading reads it.
      w.limitIn = 0;
    }
    w.readFailures.recovered();
    w.missing = false;
    w.everRead = true;
    w.prev = reading;
    this.emit(w, listed);
    w.sink.sample(toSample(this.opts.host, w.id, reading, prev));
  }

  /** The container's cgroup is not there although the list says it runs. */
  private vanished(w: Watch): void {
    if (!w.everRead) {
      w.readFailures.failed(new Error('the cgroup of a running container was not found'), { pid: w.proc?.pid });
    }
    w.missing = true;
    w.prev = undefined;
    this.emit(w, 'stopped');
  }
}
