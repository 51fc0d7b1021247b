/**
 * Podman's own stats endpoint as the API source's stream of one container. Its Docker-compatible endpoint
 * sends a frame every 5 s with no memory breakdown; this one sends `podman stats`' own figures every second.
 */
import { err, ok } from '@dockpulse/shared';
import type { Engine } from '../docker/engine.js';
import type { StatsEndpoint, StatsStream } from '../docker/stats-source.js';
import { dialStream } from './dial.js';
import { LIBPOD_API, type PodmanIdentity } from './engine-identity.js';
import { libpodReading, parseLibpodFrame } from './libpod-stats.js';

/** Seconds between frames, the least Podman accepts. */
const INTERVAL_S = 1;

/** `GET /v4.0.0/libpod/containers/stats?containers=<id>&stream=true&interval=1`. */
export function libpodStatsEndpoint(engine: Engine, podman: PodmanIdentity): StatsEndpoint {
  return {
    open: async (id, signal): Promise<StatsStream> =>
      dialStream(engine, `/${LIBPOD_API}/libpod/containers/stats`, { containers: [id], stream: true, interval: INTERVAL_S }, signal),
    parse: (raw, id, prev) => {
      const entry = parseLibpodFrame(raw, id);
      return entry.ok ? ok(libpodReading(entry.value, prev, podman)) : err(entry.error);
    },
    // Podman streams a stopped container's zeros as fast as it can read them, not once a second.
    endWhenNotRunning: true,
  };
}
