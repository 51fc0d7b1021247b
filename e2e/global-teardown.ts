import { rm } from 'node:fs/promises';
import { removeContainers } from './helpers/docker.js';
import { STATE_DIR } from './helpers/state-dir.js';

/** Removes the containers `global-setup` created, and no others, and the servers' state directory. */
export default async function globalTeardown(): Promise<void> {
  const run = process.env['DPE2E_RUN'];
  if (run) await removeContainers(run);
  await rm(STATE_DIR, { recursive: true, force: true });
}
