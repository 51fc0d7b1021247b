/**
 * Engines read over their API without an agent (`DOCKPULSE_ENGINES`), each a host named by its entry. From
 * another machine the engine's stats API is the only way to a container's figures, so each is a Docker API
 * source. `tcp://` always means TLS with the certificates of `<certsDir>/<name>/`; `http://` is plain TCP, and
 * said so at start; `unix://` is a socket this machine can reach.
 */
import { join } from 'node:path';
import { err, ok, type Result } from '@dockpulse/shared';
import type { Config, RemoteEngine } from '../config.js';
import type { Logger } from '../log.js';
import { connectEndpoint, type Engine } from '../docker/engine.js';
import { dockerSource, type LocalEngineConfig } from './local-engine.js';
import type { StatsSource } from './source.js';

/** The settings remote engines read. */
export type RemoteEnginesConfig = Pick<Config, 'engines' | 'engineCertsDir' | 'stateDir'> & LocalEngineConfig;

/** The setting the engines come from, named in errors and hints. */
const SETTING = 'DOCKPULSE_ENGINES';

/** Where one remote engine is, and the folder of its TLS files when it is reached with TLS. */
export interface RemoteAddress {
  name: string;
  /** The entry's URL, as the engine's status shows it. */
  endpoint: string;
  /** `<certsDir>/<name>` for `tcp://`; undefined otherwise. */
  certDir: string | undefined;
  /** True for `http://`: the engine's API is reached over TCP without TLS. */
  plain: boolean;
}

/** The folder of the engines' certificate folders: as configured, else `<stateDir>/engines`. */
export function engineCertsDir(config: Pick<Config, 'engineCertsDir' | 'stateDir'>): string {
  return config.engineCertsDir ?? join(config.stateDir, 'engines');
}

/** How an entry is reached: `tcp://` with TLS from `<certsDir>/<name>/`, `http://` and `unix://` without. */
export function remoteAddress(engine: RemoteEngine, certsDir: string): RemoteAddress {
  const tls = engine.url.startsWith('tcp://');
  return {
    name: engine.name,
    endpoint: engine.url,
    certDir: tls ? join(certsDir, engine.name) : undefined,
    plain: engine.url.startsWith('http://'),
  };
}

/** A remote engine's address and its client. */
export interface RemoteEngineClient {
  address: RemoteAddress;
  engine: Engine;
}

/**
 * A client for every remote engine. Fails, naming the entry and the files, when an engine's certificates cannot
 * be read: that is a mistake in the configuration, to be told at start, not an engine that does not answer.
 */
export function connectRemoteEngines(
  config: Pick<Config, 'engines' | 'engineCertsDir' | 'stateDir'>,
): Result<RemoteEngineClient[], string> {
  const certsDir = engineCertsDir(config);
  const clients: RemoteEngineClient[] = [];
  for (const entry of config.engines) {
    const address = remoteAddress(entry, certsDir);
    const engine = connectEndpoint(address.endpoint, address.certDir, SETTING);
    if (!engine.ok) return err(`${SETTING} ${entry.name}: ${engine.error}`);
    clients.push({ address, engine: engine.value });
  }
  return ok(clients);
}

/**
 * A stats source for every remote engine, read through its stats API, each logging with its host's name. Warns
 * once, at start, for each engine whose API is reached without TLS.
 */
export function remoteEngineSources(config: RemoteEnginesConfig, log: Logger): Result<StatsSource[], string> {
  const clients = connectRemoteEngines(config);
  if (!clients.ok) return clients;
  return ok(
    clients.value.map(({ address, engine }) => {
      const hostLog = log.with({ host: address.name });
      if (address.plain) {
        hostLog.warn("the engine's API is reached without TLS: whoever can reach its port controls the engine", {
          endpoint: address.endpoint,
        });
      }
      return dockerSource(address.name, engine, config, hostLog);
    }),
  );
}
