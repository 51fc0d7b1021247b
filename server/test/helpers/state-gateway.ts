import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type Config } from '../../src/config.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { start, type Gateway } from '../../src/main.js';

/** A temporary state directory that outlives one gateway, for restarts; `remove` deletes it. */
export interface TempStateDir {
  path: string;
  remove(): Promise<void>;
}

/** Makes an empty temporary directory to hold a gateway's state (never the user's). */
export async function tempStateDir(): Promise<TempStateDir> {
  const parent = await mkdtemp(join(tmpdir(), 'dockpulse-shares-'));
  return { path: join(parent, 'state'), remove: () => rm(parent, { recursive: true, force: true }) };
}

/**
 * Boots the gateway in-process on a free loopback port over `stateDir`, which `stop` leaves in place so that
 * another gateway can start on it; logs go to `log`.
 */
export function bootOnStateDir(stateDir: string, tweak: (config: Config) => void = () => {}, log: Logger = silentLogger): Promise<Gateway> {
  const config = defaultConfig();
  config.host = '127.0.0.1';
  config.port = 0;
  config.stateDir = stateDir;
  tweak(config);
  return start(config, log);
}

/** The signing secret a gateway keeps in its state directory. */
export async function readSecret(stateDir: string): Promise<Buffer> {
  return Buffer.from((await readFile(join(stateDir, 'secret'), 'utf8')).trim(), 'hex');
}
