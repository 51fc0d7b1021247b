import { CONTAINER_STATES, isFiniteNumber, isObject, isOneOf, type ContainerSummary, type HealthStatus } from '@dockpulse/shared';

/**
 * Turns one entry of the engine's `GET /containers/json` into a `ContainerSummary`, keeping only what may be
 * shown to anyone who can see the dashboard: never environment, mounts, command line or labels beyond the
 * compose project and service. Undefined when the entry is malformed.
 */
export function toContainerSummary(host: string, raw: unknown): ContainerSummary | undefined {
  if (!isObject(raw)) return undefined;
  const { Id, Names, Image, Status, Created, Labels } = raw;
  const State = typeof raw['State'] === 'string' ? (PODMAN_STATES.get(raw['State']) ?? raw['State']) : undefined;
  if (typeof Id !== 'string' || !isOneOf(CONTAINER_STATES, State)) return undefined;
  const firstName = Array.isArray(Names) && typeof Names[0] === 'string' ? Names[0] : Id.slice(0, 12);
  const status = typeof Status === 'string' ? Status : '';
  const summary: ContainerSummary = {
    host,
    id: Id,
    name: firstName.replace(/^\//, ''),
    image: typeof Image === 'string' ? Image : '',
    state: State,
    status,
    createdAt: isFiniteNumber(Created) ? Created * 1000 : 0,
  };
  const health = healthOf(status);
  if (health) summary.health = health;
  if (isObject(Labels)) {
    const project = Labels['com.docker.compose.project'];
    const service = Labels['com.docker.compose.service'];
    if (typeof project === 'string' && typeof service === 'string') summary.compose = { project, service };
  }
  return summary;
}

/**
 * Podman's states that Docker has no name for, as its Docker-compatible list sends them, and the Docker state
 * each stands for. Unmapped, a container passing through one would drop out of the list, and its watchers would
 * be told it was removed.
 */
const PODMAN_STATES: ReadonlyMap<string, ContainerSummary['state']> = new Map(
  Object.entries({
    // `podman stop` is under way: the container runs until its stop signal or the kill after the timeout ends it.
    stopping: 'running',
    // It exited, and Podman's cleanup of its network and mounts has not yet run.
    stopped: 'exited',
    // Created in the runtime, not started (Podman's libpod API; the compatible list says `created`).
    initialized: 'created',
    configured: 'created',
    // Podman could not learn its state from the runtime.
    unknown: 'dead',
  } as const),
);

/** The engine puts health in the status text only: `Up 5 minutes (healthy)`, `(health: starting)`. */
function healthOf(status: string): HealthStatus | undefined {
  if (status.endsWith('(healthy)')) return 'healthy';
  if (status.endsWith('(unhealthy)')) return 'unhealthy';
  if (status.endsWith('(health: starting)')) return 'starting';
  return undefined;
}
