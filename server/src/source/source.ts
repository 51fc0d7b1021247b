/**
 * The contract between where containers and their stats come from and the hub that publishes them. A source
 * is one host: its container list and whether it answers (availability), each container's state as the list
 * implies it (lifecycle), and each watched container's samples. The local Docker engine implements it
 * (`docker/`, with `cgroup/` for stats), and so can a host that is not this process's to run: an engine reached
 * over TCP, or an agent heard on a message bus, which comes and goes. Everything downstream (the hub, the
 * transport, the HTTP API) reads a source through these interfaces only.
 */
import { assertNever, type ContainerSummary, type EngineStatus, type HealthStatus, type Sample, type TopicState } from '@dockpulse/shared';

/** Where one watched container's samples and state changes go. */
export interface StatsSink {
  sample(sample: Sample): void;
  /** A state change; `removed` ends the watch. */
  state(state: TopicState): void;
}

/**
 * A host's containers, kept live. Until the first attempt to reach the host has settled, nothing is known;
 * once it has, `engineStatus` says whether the host answers and `all()` is its list (the last one known while
 * it does not answer).
 */
export interface ContainerDirectory {
  /** Whether the host answers, where it was tried, and why not. */
  readonly engineStatus: EngineStatus;
  /** True once the list has been read at least once; before that, `get` knows nothing. */
  readonly isReady: boolean;
  /** True once the first attempt to reach the host has succeeded or failed. */
  readonly isSettled: boolean;
  get(id: string): ContainerSummary | undefined;
  /**
   * A container's labels, for the gateway's own use (alert rules match them); never sent to clients, since
   * labels may hold anything. Absent where the host does not give them (an agent on the bus).
   */
  labels?(id: string): Readonly<Record<string, string>> | undefined;
  /** Every container, sorted by name. */
  all(): ContainerSummary[];
  /** Calls `fn` after every change of the list or of the host's status; returns the unsubscribe. */
  onChange(fn: () => void): () => void;
}

/** Called after a run of readings; `last` when the run ended its tick. */
export type BatchEndListener = (last: boolean) => void;

/** A host's stats: samples of the containers someone watches. */
export interface StatsUpstream {
  /**
   * Feeds `sink` with container `id`'s samples and states until `signal` aborts. The first state follows as
   * soon as the list settles; a container that is removed ends with `removed`.
   */
  watch(id: string, sink: StatsSink, signal: AbortSignal): void;
  /**
   * For an upstream that reads its containers together (one timer for all): calls `listener` after each run
   * of readings, so that what the run published leaves at once rather than after the hub's coalescing
   * window, which is for upstreams whose samples trickle in. `last` is true when the run ended the tick: no
   * further run follows until the next interval. Returns a function that removes the listener.
   */
  onBatchEnd?(listener: BatchEndListener): () => void;
}

/** What can happen to a container, as a source reports it. */
export const LIFECYCLE_ACTIONS = [
  'create',
  'start',
  'restart',
  'stop',
  'die',
  'kill',
  'oom',
  'pause',
  'unpause',
  'destroy',
  'health',
] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/** Something that happened to a container, as its engine reported it. */
export interface LifecycleEvent {
  id: string;
  name: string;
  action: LifecycleAction;
  /** When, ms since the epoch. */
  t: number;
  /** With `die`: the exit code. */
  exitCode?: number;
  /** With `health`: the new health status. */
  health?: HealthStatus;
}

/** Upstream stats streams (or watched containers, where one timer reads them all), for metrics and tests. */
export interface StreamCounters {
  /** Open now. */
  open: number;
  /** Opened since start. */
  opened: number;
}

/** One host: its containers, their stats, and the work that keeps both live. */
export interface StatsSource extends StatsUpstream {
  /** The host's name, unique among a gateway's hosts. */
  readonly host: string;
  /** How the gateway hears of the host: from its engine, or from its agent on the bus. */
  readonly via: 'engine' | 'agent';
  readonly containers: ContainerDirectory;
  /**
   * When the host was last heard from, for a source that hears from it now and then (an agent's heartbeats);
   * absent for one that is connected, which was last heard from now while it answers.
   */
  readonly lastSeen?: number | null;
  /** Set while something is wrong with the host's identity (two agents claim its name): what. */
  readonly conflict?: string | undefined;
  /** Calls `fn` with each lifecycle event of the host's containers, where the source hears of them. */
  onLifecycle?(fn: (event: LifecycleEvent) => void): () => void;
  readonly streams: StreamCounters;
  /** For the start-up log line: where the host is reached and what reads its stats. */
  readonly describe: { docker: string; source: string };
  /** Keeps the list (and whatever else the source follows) live until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
}

/**
 * The topic state the live list implies for one container: `unavailable` while the host does not answer,
 * `removed` when the list no longer has it, else its own state. Undefined until the first attempt to reach the
 * host has settled, so that nobody is told `unavailable` while the gateway is still starting.
 */
export function listStateOf(
  list: Pick<ContainerDirectory, 'engineStatus' | 'isReady' | 'isSettled' | 'get'>,
  id: string,
): TopicState | undefined {
  if (!list.isSettled) return undefined;
  if (list.engineStatus.status === 'down') return 'unavailable';
  if (!list.isReady) return undefined;
  const c = list.get(id);
  return c ? topicStateOf(c.state) : 'removed';
}

/** What a subscriber sees of the engine's state of a container. */
export function topicStateOf(state: ContainerSummary['state']): TopicState {
  switch (state) {
    case 'running':
      return 'running';
    case 'paused':
      return 'paused';
    case 'created':
    case 'restarting':
    case 'removing':
    case 'exited':
    case 'dead':
      return 'stopped';
    default:
      return assertNever(state);
  }
}
