import { defineConfig } from '@playwright/test';
import { CHROMIUM } from '../helpers/chromium.js';

/** The browser benchmark (`pnpm --filter @dockpulse/e2e bench:web`): not a test, it reports figures. */
export default defineConfig({
  testDir: '.',
  testMatch: '*.bench.ts',
  outputDir: './results/playwright',
  workers: 1,
  timeout: 10 * 60_000,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: CHROMIUM,
    viewport: { width: 1360, height: 900 },
  },
});
