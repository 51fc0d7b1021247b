import {
  HEALTH_STATUSES,
  isContainerId,
  isFiniteNumber,
  isObject,
  isOneOf,
  type ContainerSummary,
  type EngineStatus,
  type JsonObject,
} from '@dockpulse/shared';
import type { Engine } from './engine.js';
import { LIFECYCLE_ACTIONS, type ContainerDirectory, type LifecycleAction, type LifecycleEvent } from '../source/source.js';
import { NdjsonDecoder } from './ndjson.js';
import { toContainerSummary } from './container-summary.js';
import { describeEngineError } from './engine-error.js';
import { DEFAULT_BACKOFF, FailureLog, backoffDelay, sleep, type BackoffOptions } from '../backoff.js';
import type { Logger } from '../log.js';

/** Events that change what the list shows. Others (exec_*, attach, top, resize…) are ignored. */
const LIST_ACTIONS: ReadonlySet<string> = new Set([
  'create',
  'start',
  'restart',
  'stop',
  'die',
  'kill',
  'pause',
  'unpause',
  'rename',
  'update',
  'oom',
]);

/** Docker says `destroy`, Podman says `remove`. */
const GONE_ACTIONS: ReadonlySet<string> = new Set(['destroy', 'remove']);

/** Largest event line accepted from the engine. */
const MAX_EVENT_BYTES = 64 * 1024;

/** How long events are collected before the affected containers are looked up in one request. */
const REFRESH_DELAY_MS = 30;

/**
 * How long an engine has to answer a request (the events stream's headers, a list, a ping). One that accepts
 * the connection and says nothing (a hung daemon, a proxy whose backend is gone) is otherwise waited for
 * forever, and its host never reported down.
 */
export const ENGINE_ANSWER_TIMEOUT_MS = 10_000;

/**
 * `request` started with an abort signal of its own, and rejected with a clear error when the engine has not
 * answered within `ms` (the request is aborted then) or when `signal` aborts.
 */
async function answered<T>(endpoint: string, ms: number, signal: AbortSignal, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const attempt = new AbortController();
  const abort = (): void => attempt.abort();
  signal.addEventListener('abort', abort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${endpoint} accepted the connection but did not answer within ${ms / 1000} s`));
      attempt.abort();
    }, ms);
  });
  try {
    return await Promise.race([request(attempt.signal), silence]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}

/**
 * The engine's containers, kept live from its events API. Events are subscribed before the list is read, so
 * nothing that happens in between is missed; after the events stream breaks, the list is read again and
 * reconciled. Whether the engine answers is part of the state.
 */
export class ContainerList implements ContainerDirectory {
  private containers = new Map<string, ContainerSummary>();
  /** Each container's labels, kept apart from its summary so that they never reach a client. */
  private labelMap = new Map<string, Readonly<Record<string, string>>>();
  private engine: EngineStatus;
  private ready = false;
  private settled = false;
  private readonly listeners = new Set<() => void>();
  private readonly lifecycleListeners = new Set<(event: LifecycleEvent) => void>();
  private pendingIds = new Set<string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly failures: FailureLog;

  constructor(
    /** The host's name, which every summary carries. */
    readonly host: string,
    private readonly source: Engine,
    private readonly log: Logger,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly answerTimeoutMs = ENGINE_ANSWER_TIMEOUT_MS,
  ) {
    this.engine = { status: 'down', endpoint: source.endpoint, error: 'not connected yet' };
    this.failures = new FailureLog(log, 'docker engine connection');
  }

  /** True once the list has been read at least once; before that, `get` knows nothing. */
  get isReady(): boolean {
    return this.ready;
  }

  /** True once the first attempt to reach the engine has succeeded or failed. */
  get isSettled(): boolean {
    return this.settled;
  }

  get engineStatus(): EngineStatus {
    return this.engine;
  }

  get(id: string): ContainerSummary | undefined {
    return this.containers.get(id);
  }

  labels(id: string): Readonly<Record<string, string>> | undefined {
    return this.labelMap.get(id);
  }

  /** Every container, sorted by name. */
  all(): ContainerSummary[] {
    return [...this.containers.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Calls `fn` with each lifecycle event the engine reports (start, die with its exit code, oom, health…). */
  onLifecycle(fn: (event: LifecycleEvent) => void): () => void {
    this.lifecycleListeners.add(fn);
    return () => this.lifecycleListeners.delete(fn);
  }

  /** Calls `fn` after every change of the list or of the engine's status; returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Resolves at the next change, after `ms`, or when `signal` aborts, whichever comes first. */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const inner = new AbortController();
      const done = (): void => {
        off();
        signal.removeEventListener('abort', done);
        inner.abort();
        resolve();
      };
      const off = this.onChange(done);
      signal.addEventListener('abort', done, { once: true });
      void sleep(ms, inner.signal).then(done);
    });
  }

  /** Keeps the list live until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const connection = new AbortController();
      const abort = (): void => connection.abort();
      signal.addEventListener('abort', abort, { once: true });
      try {
        const ended = await this.follow(connection.signal);
        attempt = 0;
        this.log.debug('docker events stream ended', { reason: ended });
      } catch (e) {
        if (signal.aborted) break;
        this.failures.failed(e, { endpoint: this.source.endpoint });
        const first = !this.settled;
        this.settled = true;
        this.setEngine({ status: 'down', endpoint: this.source.endpoint, error: describeEngineError(e, this.source.setting) }, first);
        await sleep(backoffDelay(attempt++, this.backoff), signal);
      } finally {
        connection.abort();
        signal.removeEventListener('abort', abort);
      }
    }
    clearTimeout(this.refreshTimer);
  }

  /**
   * Opens the events stream, then reads the list, then applies events until the stream ends. Throws when
   * the engine cannot be reached.
   */
  private async follow(signal: AbortSignal): Promise<string> {
    const request = new AbortController();
    signal.addEventListener('abort', () => request.abort(), { once: true });
    // The stream outlives the wait for its headers: it is aborted with the connection, not with the wait.
    const stream = (await answered(this.source.endpoint, this.answerTimeoutMs, signal, (attempt) => {
      attempt.addEventListener('abort', () => request.abort(), { once: true });
      return this.source.docker.getEvents({
        filters: { type: ['container'] },
        abortSignal: request.signal,
      } as Parameters<Engine['docker']['getEvents']>[0]);
    })) as NodeJS.ReadableStream & { destroy(): void };
    const decoder = new NdjsonDecoder(MAX_EVENT_BYTES);
    const early: unknown[] = [];
    let listed = false;
    const ended = new Promise<string>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        for (const line of decoder.push(chunk)) {
          if (!line.ok) {
            this.log.debug('unreadable docker event', { error: line.error });
            continue;
          }
          if (listed) this.onEvent(line.value);
          else early.push(line.value);
        }
      });
      stream.on('end', () => resolve('end'));
      stream.on('close', () => resolve('closed'));
      stream.on('error', (e: Error) => reject(e));
      signal.addEventListener('abort', () => {
        stream.destroy();
        resolve('aborted');
      });
    });
    // A failed list read must not leave the `ended` promise without a handler.
    ended.catch(() => {});
    await this.relist(signal);
    listed = true;
    for (const e of early) this.onEvent(e);
    this.failures.recovered({ endpoint: this.source.endpoint });
    const reason = await ended;
    if (reason !== 'aborted') {
      // The stream can end without the engine going away; a failed ping says it did.
      // dockerode takes an abort signal for a ping, though its types do not say so.
      const ping = this.source.docker.ping.bind(this.source.docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
      await answered(this.source.endpoint, this.answerTimeoutMs, signal, (attempt) => ping({ abortSignal: attempt }));
    }
    return reason;
  }

  /** Reads the whole list and replaces ours with it. */
  private async relist(signal: AbortSignal): Promise<void> {
    const raw: unknown = await answered(this.source.endpoint, this.answerTimeoutMs, signal, (attempt) =>
      this.source.docker.listContainers({ all: true, abortSignal: attempt }),
    );
    const next = new Map<string, ContainerSummary>();
    const labels = new Map<string, Readonly<Record<string, string>>>();
    if (Array.isArray(raw)) {
      for (const entry of raw) {
        const summary = toContainerSummary(this.host, entry);
        if (!summary) continue;
        next.set(summary.id, summary);
        labels.set(summary.id, labelsOf(entry));
      }
    }
    this.containers = next;
    this.labelMap = labels;
    this.ready = true;
    this.settled = true;
    this.engine = { status: 'up', endpoint: this.source.endpoint };
    this.emit();
  }

  private onEvent(event: unknown): void {
    if (!isObject(event)) return;
    const action = event['Action'] ?? event['status'];
    const actor = event['Actor'];
    const id = (isObject(actor) ? actor['ID'] : undefined) ?? event['id'];
    if (typeof action !== 'string' || typeof id !== 'string') return;
    if (this.lifecycleListeners.size > 0) this.emitLifecycle(event, action, id, actor);
    if (GONE_ACTIONS.has(action)) {
      this.pendingIds.delete(id);
      this.labelMap.delete(id);
      if (this.containers.delete(id)) this.emit();
      return;
    }
    if (!LIST_ACTIONS.has(action) && !action.startsWith('health_status')) return;
    this.pendingIds.add(id);
    this.refreshTimer ??= setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  /**
   * Passes one engine event on as a lifecycle event. Of the event's attributes only the name and the exit
   * code are read: the rest are the container's labels, which may hold anything.
   */
  private emitLifecycle(event: JsonObject, action: string, id: string, actor: unknown): void {
    const attributes = isObject(actor) && isObject(actor['Attributes']) ? actor['Attributes'] : {};
    const health = /^health_status: (\w+)$/.exec(action)?.[1];
    const kind: LifecycleAction | undefined = GONE_ACTIONS.has(action)
      ? 'destroy'
      : health !== undefined
        ? 'health'
        : isOneOf(LIFECYCLE_ACTIONS, action) && action !== 'health' && action !== 'destroy'
          ? action
          : undefined;
    if (kind === undefined || !isContainerId(id)) return;
    const timeNano = event['timeNano'];
    const time = event['time'];
    const name = typeof attributes['name'] === 'string' ? attributes['name'] : (this.containers.get(id)?.name ?? id.slice(0, 12));
    const lifecycle: LifecycleEvent = {
      id,
      name: name.replace(/^\//, ''),
      action: kind,
      t: isFiniteNumber(timeNano) ? Math.floor(timeNano / 1e6) : isFiniteNumber(time) ? time * 1000 : Date.now(),
    };
    const exitCode = Number(attributes['exitCode']);
    if (kind === 'die' && typeof attributes['exitCode'] === 'string' && Number.isInteger(exitCode)) lifecycle.exitCode = exitCode;
    if (kind === 'health' && isOneOf(HEALTH_STATUSES, health)) lifecycle.health = health;
    if (kind === 'health' && lifecycle.health === undefined) return;
    for (const fn of [...this.lifecycleListeners]) fn(lifecycle);
  }

  /** Looks up the containers that events named, in one request. */
  private async refresh(): Promise<void> {
    this.refreshTimer = undefined;
    const ids = [...this.pendingIds];
    this.pendingIds.clear();
    if (ids.length === 0) return;
    let raw: unknown;
    try {
      raw = await this.source.docker.listContainers({
        all: true,
        filters: { id: ids },
        abortSignal: AbortSignal.timeout(this.answerTimeoutMs),
      });
    } catch (e) {
      // The events stream breaks too, and the relist after it reconnects brings these in.
      this.log.debug('container refresh failed', { error: describeEngineError(e, this.source.setting) });
      return;
    }
    const seen = new Set<string>();
    if (Array.isArray(raw)) {
      for (const entry of raw) {
        const summary = toContainerSummary(this.host, entry);
        if (!summary || !ids.includes(summary.id)) continue;
        seen.add(summary.id);
        this.containers.set(summary.id, summary);
        this.labelMap.set(summary.id, labelsOf(entry));
      }
    }
    // An id filter matches prefixes too, hence the exact check above; an id not returned is gone.
    for (const id of ids) {
      if (seen.has(id)) continue;
      this.containers.delete(id);
      this.labelMap.delete(id);
    }
    this.emit();
  }

  private setEngine(status: EngineStatus, force = false): void {
    const changed = force || this.engine.status !== status.status || this.engine.error !== status.error;
    this.engine = status;
    if (changed) this.emit();
  }

  private emit(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

/** The string labels of one entry of `GET /containers/json`. */
function labelsOf(entry: unknown): Readonly<Record<string, string>> {
  const raw = isObject(entry) ? entry['Labels'] : undefined;
  const labels: Record<string, string> = {};
  if (isObject(raw)) for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') labels[k] = v;
  return labels;
}
