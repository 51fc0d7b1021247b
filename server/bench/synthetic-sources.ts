/**
 * SYNTHETIC sources, for benchmarks only: N fake containers listed as running, and an upstream that publishes
 * one sample per watched container per interval, all in one synchronous burst whose end the hub is told of,
 * as the cgroup source reads and publishes. No Docker engine is involved, so a benchmark built on these
 * measures the hub and the transport (the fan-out) alone. Never wire these into the real gateway.
 */
import type { ContainerSummary, EngineStatus, Sample } from '@dockpulse/shared';
import type { ContainerDirectory, StatsSink, StatsSource } from '../src/source/source.js';

/** What to fake. */
export interface SyntheticOptions {
  /** How many containers are listed (all running). */
  containers: number;
  /** Time between bursts; every watched container publishes one sample per burst. */
  intervalMs: number;
  /** The host's name; `synthetic` unless given. */
  host?: string;
  /** Where its containers start among `syntheticIds`, so that several hosts list different containers. */
  first?: number;
  /** When its first burst comes within the interval, so that several hosts burst at different moments. */
  phaseMs?: number;
}

/** One of several synthetic hosts: its name, its containers' ids, and when in each interval it bursts. */
export interface SyntheticHost {
  host: string;
  first: number;
  ids: string[];
  phaseMs: number;
}

/**
 * `hosts` synthetic hosts of `perHost` containers each, named `bench-00`, `bench-01`…, whose bursts are
 * spread evenly over the interval, as independent machines' ticks are: the same in every process of a
 * benchmark.
 */
export function syntheticHosts(hosts: number, perHost: number, intervalMs: number): SyntheticHost[] {
  const all = syntheticIds(hosts * perHost);
  return Array.from({ length: hosts }, (_, k) => ({
    host: `bench-${String(k).padStart(2, '0')}`,
    first: k * perHost,
    ids: all.slice(k * perHost, (k + 1) * perHost),
    phaseMs: Math.floor((k * intervalMs) / hosts),
  }));
}

/** Synthetic sources, plus their container ids (in list order) for clients to subscribe to. */
export interface SyntheticSources extends StatsSource {
  ids: string[];
}

/** Deterministic 64-hex ids, so every process of a benchmark names the same containers. */
export function syntheticIds(n: number): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const seed = (0x9e3779b9 * (i + 1)) >>> 0;
    ids.push(`${seed.toString(16).padStart(8, '0')}${'5e'.repeat(24)}${i.toString(16).padStart(8, '0')}`);
  }
  return ids;
}

/** The counters one fake container keeps between samples, so rates and totals move as real ones do. */
export interface Counters {
  at: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
  memUsed: number;
}

const HOST_MEMORY = 25_190_000_640;

/** A fake container's counters as of `now`, before its first sample. */
export function newCounters(now: number): Counters {
  return { at: now, netRx: 1e6, netTx: 5e5, blkRead: 3e7, blkWrite: 1e6, memUsed: 48e6 };
}

/** The list entries of fake containers, running for an hour; `first` is the index of `ids[0]`, for names. */
export function syntheticSummaries(host: string, ids: readonly string[], first = 0, now = Date.now()): ContainerSummary[] {
  return ids.map((id, i) => ({
    host,
    id,
    name: `synthetic-${String(first + i).padStart(4, '0')}`,
    image: 'synthetic/bench:latest',
    state: 'running',
    status: 'Up About an hour (synthetic)',
    createdAt: now - 3_600_000,
  }));
}

/**
 * The next sample of one fake container at time `t`: the same shape and roughly the same size (≈ 330 bytes
 * of JSON) as the gateway's real samples, with fractional CPU, percent and rate figures as real ones have.
 */
export function syntheticSample(id: string, c: Counters, t: number, host = 'synthetic'): Sample {
  const seconds = (t - c.at) / 1000;
  const rx = Math.floor(Math.random() * 4000);
  const tx = Math.floor(Math.random() * 2500);
  const wr = Math.random() < 0.2 ? 4096 * Math.floor(Math.random() * 8) : 0;
  c.netRx += rx;
  c.netTx += tx;
  c.blkWrite += wr;
  c.memUsed = Math.max(1 << 20, c.memUsed + Math.floor((Math.random() - 0.5) * 65536));
  c.at = t;
  const rate = (d: number): number | null => (seconds > 0 ? d / seconds : null);
  return {
    host,
    id,
    t,
    cpu: Math.random() * 3,
    mem: { used: c.memUsed, limit: HOST_MEMORY, percent: (c.memUsed / HOST_MEMORY) * 100 },
    net: { rx: c.netRx, tx: c.netTx, rxRate: rate(rx), txRate: rate(tx) },
    blk: { read: c.blkRead, write: c.blkWrite, readRate: rate(0), writeRate: rate(wr) },
    pids: 3 + Math.floor(Math.random() * 3),
  };
}

/** Fake containers and a fake upstream that bursts once per interval. */
export function syntheticSources(options: SyntheticOptions): SyntheticSources {
  const host = options.host ?? 'synthetic';
  const first = options.first ?? 0;
  const ids = syntheticIds(first + options.containers).slice(first);
  const summaries = new Map<string, ContainerSummary>(syntheticSummaries(host, ids, first).map((c) => [c.id, c]));
  const engineStatus: EngineStatus = { status: 'up', endpoint: 'synthetic://bench' };
  const listeners = new Set<() => void>();
  const sorted = [...summaries.values()];

  const containers: ContainerDirectory = {
    engineStatus,
    isReady: true,
    isSettled: true,
    get: (id) => summaries.get(id),
    all: () => sorted,
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  };

  const watched = new Map<string, { sink: StatsSink; counters: Counters }>();
  const streams = { open: 0, opened: 0 };
  const batchListeners = new Set<(last: boolean) => void>();
  return {
    host,
    via: 'engine',
    ids,
    containers,
    streams,
    describe: { docker: engineStatus.endpoint, source: 'synthetic (benchmark only)' },
    // Like the cgroup source: one run of readings per interval, and the hub is told when it ends.
    onBatchEnd(listener) {
      batchListeners.add(listener);
      return () => batchListeners.delete(listener);
    },
    watch(id, sink, signal) {
      if (signal.aborted || !summaries.has(id)) return;
      const now = Date.now();
      watched.set(id, { sink, counters: newCounters(now) });
      streams.open++;
      streams.opened++;
      sink.state('running');
      signal.addEventListener(
        'abort',
        () => {
          watched.delete(id);
          streams.open--;
        },
        { once: true },
      );
    },
    run: (signal) =>
      new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        for (const fn of listeners) fn();
        // One timer for all containers: every watched container publishes in the same burst.
        const burst = (): void => {
          for (const [id, w] of watched) w.sink.sample(syntheticSample(id, w.counters, Date.now(), host));
          for (const listener of batchListeners) listener(true);
        };
        let timer: NodeJS.Timeout | undefined;
        const phase = setTimeout(() => (timer = setInterval(burst, options.intervalMs)), options.phaseMs ?? 0);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(phase);
            clearInterval(timer);
            resolve();
          },
          { once: true },
        );
      }),
  };
}
