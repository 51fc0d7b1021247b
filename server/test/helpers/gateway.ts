import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statsTopic } from '@dockpulse/shared';
import { defaultConfig, type Config } from '../../src/config.js';
import { silentLogger, type Logger } from '../../src/log.js';
import type { Engine } from '../../src/docker/engine.js';
import { start, type Gateway } from '../../src/main.js';
import { waitUntil } from './wait.js';

/**
 * Boots the whole gateway in-process on a free loopback port, with a state directory of its own that `stop`
 * removes (never the user's); `tweak` adjusts the defaults. It logs nothing unless given a logger.
 */
export async function bootGateway(
  tweak: (config: Config) => void = () => {},
  engine?: Engine,
  log: Logger = silentLogger,
): Promise<Gateway> {
  const stateDir = await mkdtemp(join(tmpdir(), 'dockpulse-state-'));
  const config = defaultConfig();
  config.host = '127.0.0.1';
  config.port = 0;
  config.stateDir = stateDir;
  // The Docker API path unless a test asks for another: several tests count its upstream streams, and
  // `auto` would pick the cgroup files on this host.
  config.source = 'docker';
  // Only what the test watches is read, so that the streams a test counts are its own.
  config.record = 'watched';
  tweak(config);
  let gateway: Gateway;
  try {
    gateway = engine ? await start(config, log, engine) : await start(config, log);
  } catch (e) {
    await rm(stateDir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...gateway,
    stop: async () => {
      try {
        await gateway.stop();
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  };
}

/** Waits until the gateway's live container list holds `id`, so that subscribing to it cannot be `not_found`. */
export async function waitForListed(gateway: Gateway, id: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil(() => gateway.hosts.hostsWithId(id).length > 0, timeoutMs, `container ${id.slice(0, 12)} in the gateway's list`);
}

/** The stats topic of a container, under a shorter name for the tests. */
export const topicOf = statsTopic;

/** An HTTP response, read whole. */
export interface HttpResult {
  status: number;
  headers: Headers;
  body: string;
}

/** GETs a path of the gateway and returns its status, headers and body text. */
export async function httpGet(gateway: Gateway, path: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const res = await fetch(`${gateway.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}
