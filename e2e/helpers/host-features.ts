/**
 * The host features some browser tests need, probed once per run by `global-setup` with the integration tests'
 * probe container, and handed to the workers in the environment, as the container names are.
 */
import { test } from '@playwright/test';
import { hostFeatures, parseHostFeatures, type HostFeature } from '../../server/test/helpers/host-features.js';

const ENV = 'DPE2E_HOST_FEATURES';

/** Probes the host and puts the answer where the workers look for it; prints what is missing. */
export async function probeHostFeatures(): Promise<void> {
  const features = await hostFeatures();
  process.env[ENV] = JSON.stringify(features);
  for (const reason of Object.values(features))
    if (reason !== undefined) console.log(`host feature missing, tests that need it skip: ${reason}`);
}

/**
 * Skips the running test, and says why in the run's output (the list reporter shows a skip without its reason),
 * when the host lacks one of `features`.
 */
export function skipWithout(...features: HostFeature[]): void {
  const text = process.env[ENV];
  if (text === undefined) throw new Error(`${ENV} is not set: the e2e global setup did not run`);
  const host = parseHostFeatures(text);
  const reason = features.map((f) => host[f]).find((r) => r !== undefined);
  if (reason === undefined) return;
  console.log(`skipped, ${test.info().title}: ${reason}`);
  test.skip(true, reason);
}
