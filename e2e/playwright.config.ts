import { defineConfig } from '@playwright/test';
import { CHROMIUM } from './helpers/chromium.js';
import { BASE_URL, PORT } from './helpers/ports.js';
import { STATE_DIR } from './helpers/state-dir.js';

/**
 * Browser tests against the real server (`server/dist/main.js`, built by `pnpm build`) and real containers on
 * the local Docker engine. One worker: the tests start, stop and count the same containers.
 */
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env['CI'],
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    launchOptions: CHROMIUM,
    viewport: { width: 1360, height: 900 },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: 'node ../server/dist/main.js',
    url: `${BASE_URL}/healthz`,
    // A state directory of the run's own, never the user's share list and secret.
    env: { DOCKPULSE_PORT: String(PORT), DOCKPULSE_HOST: '127.0.0.1', DOCKPULSE_LOG_LEVEL: 'warn', DOCKPULSE_STATE_DIR: STATE_DIR },
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
