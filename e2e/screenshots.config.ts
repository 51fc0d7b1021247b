import { defineConfig } from '@playwright/test';
import tests from './playwright.config.js';

/**
 * The dashboard's pictures (`pnpm --filter @dockpulse/e2e screenshots`): the browser tests' server, containers and
 * browser, but not a test, so not part of `pnpm test`.
 */
export default defineConfig(tests, {
  testDir: './screenshots',
  testMatch: '*.shots.ts',
  outputDir: './test-results/screenshots',
});
