/**
 * The local engine (Docker, or Podman through its Docker-compatible socket) as a stats source: its container
 * list from the engine's events, its stats from the host's cgroup files when they can be proved to be this
 * engine's, else from the engine's stats API (Podman's own, for its one-second figures). This is where
 * `DOCKPULSE_SOURCE` is decided.
 */
import { err, ok } from '@dockpulse/shared';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Engine } from '../docker/engine.js';
import { ContainerList } from '../docker/container-list.js';
import { DockerStatsSource, dockerStatsEndpoint } from '../docker/stats-source.js';
import { CgroupStatsSource } from '../cgroup/cgroup-source.js';
import { enginePidLookup } from '../cgroup/container-process.js';
import { awaitingProof, detectCgroupAccess, probeRunningContainers } from '../cgroup/detect.js';
import { DeferredCgroupSource } from '../cgroup/deferred-source.js';
import { describeLayout, findLayout, type CgroupLayout, type CgroupRoots } from '../cgroup/layout.js';
import { DEFAULT_BACKOFF } from '../backoff.js';
import { DOCKER, identifyEngine, type EngineIdentity } from '../podman/engine-identity.js';
import { libpodStatsEndpoint } from '../podman/libpod-endpoint.js';
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

/** The engine's stats API: Docker's, or Podman's own. */
function apiUpstream(
  host: string,
  engine: Engine,
  identity: EngineIdentity,
  containers: ContainerList,
  config: LocalEngineConfig,
  log: Logger,
) {
  const endpoint = identity.kind === 'podman' ? libpodStatsEndpoint(engine, identity) : dockerStatsEndpoint(engine);
  return new DockerStatsSource(host, engine, containers, log, config.intervalMs, DEFAULT_BACKOFF, endpoint);
}

/** The engine for the list and for stats, through its stats API. */
export function dockerSource(
  host: string,
  engine: Engine,
  config: LocalEngineConfig,
  log: Logger,
  identity: EngineIdentity = DOCKER,
): StatsSource {
  const containers = new ContainerList(host, engine, log);
  const upstream = apiUpstream(host, engine, identity, containers, config, log);
  const source = identity.kind === 'podman' ? 'podman (libpod stats API)' : 'docker';
  return engineSource(host, containers, upstream, { docker: engine.endpoint, source });
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

/** The engine's API for stats until a container runs whose cgroup proves the files, then the files. */
function deferredSource(
  host: string,
  engine: Engine,
  config: LocalEngineConfig,
  log: Logger,
  roots: CgroupRoots,
  identity: EngineIdentity,
): StatsSource {
  const containers = new ContainerList(host, engine, log);
  const api = apiUpstream(host, engine, identity, containers, config, log);
  const upstream = new DeferredCgroupSource(
    api,
    containers,
    (ids) => {
      const detected = detectCgroupAccess({
        ...roots,
        endpoint: engine.endpoint,
        engine: identity.kind,
        running: ids.map((id) => ({ id, pid: undefined })),
      });
      if (!detected.ok) return err({ reason: detected.error, retry: awaitingProof(detected.error) });
      return ok(cgroupUpstream(host, engine, config, log, detected.value, containers));
    },
    log,
  );
  const describe = { docker: engine.endpoint, source: `${identity.kind} until a running container proves the cgroup files` };
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
  const identity = await identifyEngine(engine, AbortSignal.timeout(5000));
  if (config.source === 'docker') return dockerSource(host, engine, config, log, identity);
  if (config.source === 'cgroup') {
    const layout = findLayout(roots);
    if (!layout.ok) throw new Error(`DOCKPULSE_SOURCE=cgroup, but ${layout.error}`);
    return cgroupSource(host, engine, config, log, identity.kind === 'podman' ? { ...layout.value, engine: 'podman' } : layout.value);
  }
  if (identity.kind === 'podman' && identity.rootless) {
    log.info('reading stats from the Podman API', { reason: "a rootless Podman's containers are not in the host's cgroups" });
    return dockerSource(host, engine, config, log, identity);
  }
  const running = await probeRunningContainers(engine, AbortSignal.timeout(5000));
  const detected = detectCgroupAccess({ ...roots, endpoint: engine.endpoint, engine: identity.kind, running });
  if (detected.ok) return cgroupSource(host, engine, config, log, detected.value);
  const api = identity.kind === 'podman' ? 'the Podman API' : 'the Docker API';
  if (!awaitingProof(detected.error)) {
    log.info(`reading stats from ${api}`, { reason: detected.error });
    return dockerSource(host, engine, config, log, identity);
  }
  log.info(`reading stats from ${api} until a running container proves the cgroup files`, { reason: detected.error });
  return deferredSource(host, engine, config, log, roots, identity);
}
