/** Starts alerts for a gateway: opens `alerts.db` in the state directory and listens to the hub and the hosts. */
import { join } from 'node:path';
import { readsLocalEngine, type Config } from '../config.js';
import type { StateDir } from '../auth/state-dir.js';
import type { HostSet } from '../hosts/host-set.js';
import type { Hub } from '../hub/hub.js';
import type { Logger } from '../log.js';
import { AlertStore } from './alert-store.js';
import { AlertFeed } from './alert-feed.js';
import { Alerts } from './alerts.js';

/** The alerts database, in the state directory. */
export const ALERTS_FILE = 'alerts.db';

/** Running alerts: the rules, the `alerts` topic, and the teardown. */
export interface RunningAlerts {
  alerts: Alerts;
  feed: AlertFeed;
  /** Stops evaluating and delivering, then closes the database. */
  stop(): Promise<void>;
}

/**
 * Starts alerts, or returns undefined when they are off (`maxAlertRules` 0) or their database cannot be opened:
 * the gateway then serves everything else, and says why it keeps no alerts.
 */
export async function startAlerts(
  config: Config,
  state: StateDir,
  hosts: HostSet,
  hub: Hub,
  log: Logger,
): Promise<RunningAlerts | undefined> {
  if (config.maxAlertRules === 0) return undefined;
  const path = join(state.path, ALERTS_FILE);
  let store: AlertStore;
  try {
    await state.ensure();
    store = AlertStore.open(path);
  } catch (e) {
    log.error('alerts are off: their database cannot be opened', { path, error: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
  const feed = new AlertFeed(hub);
  const alerts = new Alerts({
    store,
    hosts,
    onSample: (listener) => hub.onSample(listener),
    feed,
    localHost: readsLocalEngine(config) ? config.hostName : undefined,
    maxRules: config.maxAlertRules,
    log,
  });
  alerts.start();
  let stopped: Promise<void> | undefined;
  return {
    alerts,
    feed,
    stop: () => {
      stopped ??= (async () => {
        await alerts.stop();
        store.close();
      })();
      return stopped;
    },
  };
}
