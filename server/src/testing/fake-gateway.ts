import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type Config } from '../config.js';
import { silentLogger, type Logger } from '../log.js';
import { serve, type Gateway } from '../main.js';
import { StateDir } from '../auth/state-dir.js';
import { FakeSource } from './fake-source.js';

/** The whole gateway over a fake source, on a loopback port of its own. */
export interface FakeGateway extends Gateway {
  source: FakeSource;
  config: Config;
  /** The web root: empty (the app not built) until a test writes files there. */
  webRoot: string;
  /** The secret share tokens are signed with, for tokens the API would not make (already expired ones). */
  secret: Buffer;
  /** Stops the gateway and removes its state directory and web root. */
  stop(): Promise<void>;
}

/**
 * Boots the gateway as `main.ts` wires it (hub, WebSocket transport, HTTP routes, shares and authentication on
 * a temporary state directory), with `source` standing in for the Docker engine; `tweak` adjusts the defaults.
 */
export async function serveFake(
  source: FakeSource = new FakeSource(),
  tweak: (config: Config) => void = () => {},
  log: Logger = silentLogger,
): Promise<FakeGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-unit-'));
  const config = defaultConfig();
  config.host = '127.0.0.1';
  config.port = 0;
  config.stateDir = join(dir, 'state');
  config.webRoot = join(dir, 'web');
  // Only what a test watches is read, so that the watches a test counts are its own.
  config.record = 'watched';
  tweak(config);
  let gateway: Gateway | undefined;
  let secret: Buffer;
  try {
    gateway = await serve(config, log, [source]);
    secret = await new StateDir(config.stateDir).secret();
  } catch (e) {
    await gateway?.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const running = gateway;
  return {
    ...running,
    source,
    config,
    webRoot: config.webRoot ?? join(dir, 'web'),
    secret,
    stop: async () => {
      try {
        await running.stop();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
