import { randomBytes } from 'node:crypto';
import { createContainers, docker, ensureImage, removeContainers, testContainers } from './helpers/docker.js';
import { probeHostFeatures } from './helpers/host-features.js';

/** Learns what the host counts for a container, then creates this run's labelled test containers; `global-teardown` removes them. */
export default async function globalSetup(): Promise<void> {
  const run = randomBytes(3).toString('hex');
  // Workers inherit the environment, which is how tests learn the container names.
  process.env['DPE2E_RUN'] = run;
  await ensureImage();
  await probeHostFeatures();
  try {
    await createContainers(run);
    for (const c of testContainers(run)) {
      const state = await docker('inspect', '-f', '{{.State.Status}}', c.name);
      if (state !== 'running') throw new Error(`test container ${c.name} is ${state}`);
    }
  } catch (e) {
    await removeContainers(run);
    throw e;
  }
}
