/**
 * The local Docker engine as a stats source: its container list from the engine's events, its stats from the
 * host's cgroup files when they can be proved to be this engine's, else from the engine's stats API. This is
 * where `DOCKPULSE_SOURCE` is decided.
 */
import { err, ok } from '@dockpulse/shared';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Engine } from '../docker/engine.js';
import { ContainerList } from '../docker/container-list.js';
import { DockerStatsSource } from '../docker/stats-source.js';
import { CgroupStatsSource } from '../cgroup/cgroup-source.js';
import { enginePidLookup } from '../cgroup/container-process.js';
import { awaitingProof, detectCgroupAccess, probeRunningContainers } from '../cgroup/detect.js';
import { DeferredCgroupSource } from '../cgroup/deferred-source.js';
import { describeLayout, findLayout, type CgroupLayout, type CgroupRoots } from '../cgroup/layout.js';
import type { StatsSource, StatsUpstream, StreamCounters } from './source.js';

/** The settings the choice reads. */
export type LocalEngineConfig = Pick<Config, 'source' | 'intervalMs' | 'hostRoot' | 'procRoot' | 'cgroupRoot'>;

/** A source that is an engine's container list plus an upstream that reads its stats. */
function engineSource(
  host: string,
  containers: ContainerList,
  upstream: StatsUpstream & { streams: StreamCounters },
  describe: StatsSource['describe'],
  run: (signal: AbortSignal) => Promise<void> = (signal) => containers.run(signal),
): StatsSource {
  return {
    host,
    via: 'engine',
    containers,
    streams: upstream.streams,
    describe,
    run,
    watch: (id, sink, signal) => upstream.watch(id, sink, signal),
    onBatchEnd: upstream.onBatchEnd?.bind(upstream),
    onLifecycle: (fn) => containers.onLifecycle(fn),
  };
}

/** The engine for the list and for stats, through its stats API. */
export function dockerSource(host: string, engine: Engine, config: LocalEngineConfig, log: Logger): StatsSource {
  const containers = new ContainerList(host, engine, log);
  const upstream = new DockerStatsSource(host, engine, containers, log, config.intervalMs);
  return engineSource(host, containers, upstream, { docker: engine.endpoint, source: 'docker' });
}

/** Stats from the cgroup files under `layout`, for the containers `list` follows; the engine only for pids. */
function cgroupUpstream(
  host: string,
  engine: Engine,
  config: LocalEngineConfig,
  log: Logger,
  layout: CgroupLayout,
  list: ContainerList,
): CgroupStatsSource {
  return new CgroupStatsSource({ host, layout, list, pids: enginePidLookup(engine), log, intervalMs: config.intervalMs });
}

/** The engine for the list, the host's cgroup files and /proc for stats. */
export function cgroupSource(host: string, engine: Engine, config: LocalEngineConfig, log: Logger, layout: CgroupLayout): StatsSource {
  const containers = new ContainerList(host, engine, log);
  const upstream = cgroupUpstream(host, engine, config, log, layout, containers);
  return engineSource(host, containers, upstream, { docker: engine.endpoint, source: `cgroup (${describeLayout(layout)})` });
}

/** The Docker API for stats until a container runs whose cgroup proves the files, then the files. */
function deferredSource(host: string, engine: Engine, config: LocalEngineConfig, log: Logger, roots: CgroupRoots): StatsSource {
  const containers = new ContainerList(host, engine, log);
  const api = new DockerStatsSource(host, engine, containers, log, config.intervalMs);
  const upstream = new DeferredCgroupSource(
    api,
    containers,
    (ids) => {
      const detected = detectCgroupAccess({ ...roots, endpoint: engine.endpoint, running: ids.map((id) => ({ id, pid: undefined })) });
      if (!detected.ok) return err({ reason: detected.error, retry: awaitingProof(detected.error) });
      return ok(cgroupUpstream(host, engine, config, log, detected.value, containers));
    },
    log,
  );
  const describe = { docker: engine.endpoint, source: 'docker until a running container proves the cgroup files' };
  return engineSource(host, containers, upstream, describe, async (signal) => {
    try {
      await containers.run(signal);
    } finally {
      upstream.close();
    }
  });
}

/**
 * The local engine as the source of host `host`, with its stats source chosen by `config.source`: `docker`
 * and `cgroup` as told (an explicit `cgroup` that cannot work is an error); `auto` reads the cgroup files
 * when it can prove they are this engine's containers, else the engine's API.
 */
export async function localEngineSource(host: string, engine: Engine, config: LocalEngineConfig, log: Logger): Promise<StatsSource> {
  const roots = { hostRoot: config.hostRoot, procRoot: config.procRoot, cgroupRoot: config.cgroupRoot };
  if (config.source === 'docker') return dockerSource(host, engine, config, log);
  if (config.source === 'cgroup') {
    const layout = findLayout(roots);
    if (!layout.ok) throw new Error(`DOCKPULSE_SOURCE=cgroup, but ${layout.error}`);
    return cgroupSource(host, engine, config, log, layout.value);
  }
  const running = await probeRunningContainers(engine, AbortSignal.timeout(5000));
  const detected = detectCgroupAccess({ ...roots, endpoint: engine.endpoint, running });
  if (detected.ok) return cgroupSource(host, engine, config, log, detected.value);
  if (!awaitingProof(detected.error)) {
    log.info('reading stats from the Docker API', { reason: detected.error });
    return dockerSource(host, engine, config, log);
  }
  log.info('reading stats from the Docker API until a running container proves the cgroup files', { reason: detected.error });
  return deferredSource(host, engine, config, log, roots);
}
