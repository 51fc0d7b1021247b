/**
 * Which engine answers at an endpoint: Docker, or Podman through its Docker-compatible API. The two differ in
 * where their containers' cgroups are, in what their stats endpoints send, and in what a rootless Podman can
 * report at all, so the local engine's source is chosen from this.
 */
import { err, isObject, ok, type Result } from '@dockpulse/shared';
import type { Engine } from '../docker/engine.js';
import { dialJson } from './dial.js';

/** A Podman engine, as far as its figures depend on it. */
export interface PodmanIdentity {
  kind: 'podman';
  /** `4.3.1`. */
  version: string;
  /** Runs as an unprivileged user: it reports no network figures, and only what its cgroup was delegated. */
  rootless: boolean;
  /** The cgroup controllers its containers get (`host.cgroupControllers`); undefined when it did not say. */
  controllers: readonly string[] | undefined;
}

export type EngineIdentity = { kind: 'docker' } | PodmanIdentity;

/** The Docker engine, or whatever did not say it is Podman. */
export const DOCKER: EngineIdentity = { kind: 'docker' };

/** The name Podman gives itself among the components of `GET /version`. */
const PODMAN_COMPONENT = 'Podman Engine';

/** The version of Podman's own API that its stats and info endpoints are asked under; 4.0 is the oldest it serves them at. */
export const LIBPOD_API = 'v4.0.0';

/** The Podman version in an answer of `GET /version`, or undefined when the answer is not Podman's. */
export function podmanVersionOf(raw: unknown): string | undefined {
  const components = isObject(raw) ? raw['Components'] : undefined;
  if (!Array.isArray(components)) return undefined;
  for (const c of components) {
    if (isObject(c) && c['Name'] === PODMAN_COMPONENT) return typeof c['Version'] === 'string' ? c['Version'].slice(0, 64) : '';
  }
  return undefined;
}

/** Reads what matters of `GET /libpod/info`: whether it runs rootless, and which cgroup controllers it has. */
export function parsePodmanInfo(raw: unknown, version: string): Result<PodmanIdentity, string> {
  const host = isObject(raw) ? raw['host'] : undefined;
  if (!isObject(host)) return err('libpod info: no host object');
  const security = host['security'];
  const rootless = isObject(security) ? security['rootless'] : undefined;
  if (typeof rootless !== 'boolean') return err('libpod info: host.security.rootless is not a boolean');
  const list = host['cgroupControllers'];
  const controllers =
    Array.isArray(list) && list.length <= 64 && list.every((c): c is string => typeof c === 'string')
      ? list.map((c) => c.slice(0, 32))
      : undefined;
  return ok({ kind: 'podman', version, rootless, controllers });
}

/**
 * Asks the engine who it is. Anything that does not say it is Podman is taken for Docker, an engine that
 * cannot be asked (down at start) included; a Podman whose info cannot be read is taken as rootful, with
 * every controller, unless its socket is a user's (`/run/user/<uid>/…`).
 */
export async function identifyEngine(engine: Engine, signal: AbortSignal): Promise<EngineIdentity> {
  let version: string | undefined;
  try {
    version = podmanVersionOf(await dialJson(engine, '/version', signal));
  } catch {
    return DOCKER;
  }
  if (version === undefined) return DOCKER;
  const fallback: PodmanIdentity = {
    kind: 'podman',
    version,
    rootless: /^unix:\/\/\/run\/user\//.test(engine.endpoint),
    controllers: undefined,
  };
  try {
    const info = parsePodmanInfo(await dialJson(engine, `/${LIBPOD_API}/libpod/info`, signal), version);
    return info.ok ? info.value : fallback;
  } catch {
    return fallback;
  }
}

/** One line for the start-up log. */
export function describeIdentity(identity: EngineIdentity): string {
  if (identity.kind === 'docker') return 'docker';
  return `podman ${identity.version}${identity.rootless ? ' (rootless)' : ''}`;
}
