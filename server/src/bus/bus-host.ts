/**
 * A host heard on the bus, as a stats source: its container list and engine state come from its agent's
 * record, its liveness from the agent's heartbeats (three missed and the host is `unavailable`, its
 * containers kept), and samples from the agent's samples messages, handed to whoever watches each
 * container. One agent is served per host: a second one claiming the same name is reported, not merged.
 */
import type { ContainerSummary, EngineStatus, TopicState } from '@dockpulse/shared';
import {
  listStateOf,
  type BatchEndListener,
  type ContainerDirectory,
  type LifecycleEvent,
  type StatsSink,
  type StatsSource,
  type StreamCounters,
} from '../source/source.js';
import type { EventsMessage, HeartbeatMessage, HostRecord, SamplesMessage } from './messages.js';

/** Heartbeats missed before a host is unavailable. */
export const MISSED_HEARTBEATS = 3;

/**
 * How long the agent served must have been silent before another one that claims the host is taken as its
 * successor (a restart) rather than a rival.
 */
const SUCCESSION_HEARTBEATS = 1.5;

interface Watch {
  readonly id: string;
  readonly sink: StatsSink;
  state: TopicState | undefined;
}

/** Why a live message was not taken. */
export type Ignored = 'other-agent' | 'unknown-container';

export class BusHost implements StatsSource, ContainerDirectory {
  readonly via = 'agent' as const;
  readonly streams: StreamCounters = { open: 0, opened: 0 };
  readonly describe: StatsSource['describe'];
  readonly containers: ContainerDirectory = this;
  private byId = new Map<string, ContainerSummary>();
  private sorted: ContainerSummary[] = [];
  private agentEngine: EngineStatus;
  private everyMs: number;
  /** The agent served: its id, and when this gateway last heard from it (its own clock). */
  private agent: string;
  private heardAt: number | undefined;
  /** An agent that claims this host while the served one is alive: its id and when it was last heard. */
  private rival: { id: string; heardAt: number } | undefined;
  private conflictText: string | undefined;
  private silent = false;
  private settled = false;
  private readonly since: number;
  /** The list of the last record applied, as JSON, to tell a changed record from a repeated one. */
  private listJson: string;
  /** Each watched container's watches, by id: a message's samples are handed out by lookup, not by a scan. */
  private readonly watches = new Map<string, Set<Watch>>();
  private readonly listeners = new Set<() => void>();
  private readonly lifecycleListeners = new Set<(e: LifecycleEvent) => void>();
  private readonly batchListeners = new Set<BatchEndListener>();

  constructor(
    readonly host: string,
    record: HostRecord,
    private readonly endpoint: string,
    private readonly now: () => number = Date.now,
  ) {
    this.describe = { docker: endpoint, source: 'agent' };
    this.agent = record.agent;
    this.agentEngine = record.engine;
    this.everyMs = record.everyMs;
    this.since = now();
    this.listJson = JSON.stringify(record.containers);
    this.setList(record.containers);
  }

  // ---- ContainerDirectory ----

  get engineStatus(): EngineStatus {
    if (!this.silent) return this.agentEngine;
    const since = this.heardAt === undefined ? 'this gateway started' : new Date(this.heardAt).toISOString();
    return { status: 'down', endpoint: this.endpoint, error: `no heartbeat from the host's agent since ${since}` };
  }

  get isReady(): boolean {
    return true;
  }

  /** Settled once the agent is heard, or has had time to be and was not. */
  get isSettled(): boolean {
    return this.settled;
  }

  get lastSeen(): number | null {
    return this.heardAt ?? null;
  }

  get conflict(): string | undefined {
    return this.conflictText;
  }

  get(id: string): ContainerSummary | undefined {
    return this.byId.get(id);
  }

  all(): ContainerSummary[] {
    return this.sorted;
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onLifecycle(fn: (e: LifecycleEvent) => void): () => void {
    this.lifecycleListeners.add(fn);
    return () => this.lifecycleListeners.delete(fn);
  }

  /**
   * A samples message is one tick of the host, its end known: what it brought leaves at once, rather than
   * after the hub's coalescing window.
   */
  onBatchEnd(listener: BatchEndListener): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  // ---- StatsUpstream ----

  watch(id: string, sink: StatsSink, signal: AbortSignal): void {
    if (signal.aborted) return;
    const w: Watch = { id, sink, state: undefined };
    let same = this.watches.get(id);
    if (!same) this.watches.set(id, (same = new Set()));
    same.add(w);
    this.streams.open++;
    this.streams.opened++;
    signal.addEventListener(
      'abort',
      () => {
        const set = this.watches.get(id);
        if (!set?.delete(w)) return;
        this.streams.open--;
        if (set.size === 0) this.watches.delete(id);
      },
      { once: true },
    );
    this.follow(w);
  }

  /** Nothing to run: the bus hosts feed this source. */
  run(): Promise<void> {
    return Promise.resolve();
  }

  // ---- fed by the bus ----

  /**
   * A record from the hosts bucket. Only the agent served may change the list. An agent puts its record again
   * every 30 s whether or not anything changed; only a change is news, since every dashboard is then sent the
   * whole list of every host.
   */
  applyRecord(record: HostRecord): void {
    if (!this.accept(record.agent)) return;
    this.everyMs = record.everyMs;
    const list = JSON.stringify(record.containers);
    if (list === this.listJson && JSON.stringify(record.engine) === JSON.stringify(this.agentEngine)) return;
    this.listJson = list;
    this.agentEngine = record.engine;
    this.setList(record.containers);
    this.changed();
  }

  /** A heartbeat. Returns why it was ignored, if it was. */
  applyHeartbeat(beat: HeartbeatMessage): Ignored | undefined {
    if (!this.accept(beat.agent)) return 'other-agent';
    this.everyMs = beat.everyMs;
    const engineChanged = beat.engine.status !== this.agentEngine.status || beat.engine.error !== this.agentEngine.error;
    this.agentEngine = beat.engine;
    if (engineChanged) this.changed();
    return undefined;
  }

  /**
   * A samples message. Live ones prove the agent alive; replayed ones (history read back from the stream
   * after this gateway started) are history whoever sent them. Samples of containers not in the list are
   * ignored. Returns how many samples were ignored and why.
   */
  applySamples(message: SamplesMessage, live: boolean): { ignored: number; why?: Ignored } {
    if (live && !this.accept(message.agent)) return { ignored: message.samples.length, why: 'other-agent' };
    let ignored = 0;
    for (const s of message.samples) {
      if (!this.byId.has(s.id)) {
        ignored++;
        continue;
      }
      const watching = this.watches.get(s.id);
      if (watching) for (const w of watching) w.sink.sample(s);
    }
    for (const listener of this.batchListeners) listener(true);
    return ignored > 0 ? { ignored, why: 'unknown-container' } : { ignored };
  }

  applyEvents(message: EventsMessage): Ignored | undefined {
    if (!this.accept(message.agent)) return 'other-agent';
    for (const e of message.events) for (const fn of [...this.lifecycleListeners]) fn(e);
    return undefined;
  }

  /**
   * The earliest time at which `checkLiveness` could change what this host reports, or Infinity when only a
   * message can. A message that proves the agent alive moves it later; one that brings a silent host back, or
   * shortens the heartbeat interval, can move it earlier.
   */
  get nextCheckAt(): number {
    const limit = MISSED_HEARTBEATS * this.everyMs;
    let at = this.rival ? this.rival.heardAt + limit : Infinity;
    if (!this.silent || !this.settled) at = Math.min(at, (this.heardAt ?? this.since) + limit);
    // A check finds a host silent once it has been so for more than the limit.
    return at + 1;
  }

  /** Marks the host unavailable once its agent has missed its heartbeats; call it at `nextCheckAt`. */
  checkLiveness(): void {
    const now = this.now();
    const limit = MISSED_HEARTBEATS * this.everyMs;
    if (this.rival && now - this.rival.heardAt > limit) {
      this.rival = undefined;
      this.conflictText = undefined;
      this.changed();
    }
    const silent = now - (this.heardAt ?? this.since) > limit;
    if (silent === this.silent && this.settled) return;
    // Before the agent is first heard, a host is undecided for one heartbeat window, not reported down.
    if (!this.settled && !silent && this.heardAt === undefined) return;
    this.settled = true;
    this.silent = silent;
    this.changed();
  }

  /**
   * Whether a live message from `agent` is served. The agent served stays served while it speaks; another
   * is its successor once the served one has been silent a while (a restarted agent has a new id), and a
   * rival while the served one still speaks: reported as a conflict, and not served.
   */
  private accept(agent: string): boolean {
    const now = this.now();
    if (agent !== this.agent) {
      const quietFor = now - (this.heardAt ?? this.since);
      if (this.heardAt !== undefined && quietFor <= SUCCESSION_HEARTBEATS * this.everyMs) {
        this.rival = { id: agent, heardAt: now };
        return false;
      }
      this.agent = agent;
      this.rival = undefined;
      if (this.conflictText !== undefined) {
        this.conflictText = undefined;
        this.changed();
      }
    } else if (this.rival && now - this.rival.heardAt <= MISSED_HEARTBEATS * this.everyMs && this.conflictText === undefined) {
      // The served agent speaks while another claims the host too: two agents, not a restart.
      this.conflictText = `two agents claim this host: serving ${this.agent}, ignoring ${this.rival.id}`;
      this.changed();
    }
    this.heardAt = now;
    if (this.silent || !this.settled) {
      this.silent = false;
      this.settled = true;
      this.changed();
    }
    return true;
  }

  private setList(containers: readonly ContainerSummary[]): void {
    this.byId = new Map(containers.map((c) => [c.id, c]));
    this.sorted = [...containers].sort((a, b) => a.name.localeCompare(b.name));
  }

  private changed(): void {
    for (const w of [...this.watches.values()].flatMap((set) => [...set])) this.follow(w);
    for (const fn of [...this.listeners]) fn();
  }

  private follow(w: Watch): void {
    const state = listStateOf(this, w.id);
    if (state === undefined || state === w.state) return;
    w.state = state;
    // Last: a `removed` state makes the hub abort this watch from inside the call.
    w.sink.state(state);
  }
}
