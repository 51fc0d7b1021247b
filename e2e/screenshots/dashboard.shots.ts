import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { containerName } from '../helpers/docker.js';
import { cell, expectLive, leadingNumber } from '../helpers/page.js';

/**
 * Pictures of the dashboard for people to look at, not a test: nothing is compared against them. The light
 * overview is the README's picture; the others are gitignored.
 */
const README_PICTURE = fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Enough of a past for the pictures to show lines rather than dots. */
const SPAN_MS = 40_000;

test.beforeAll(async ({ browser, baseURL }) => {
  await mkdir(ARTIFACTS, { recursive: true });
  // The containers and the server are seconds old: wait until the server holds a span of samples.
  const page = await browser.newPage({ baseURL: baseURL ?? '' });
  try {
    await page.goto(`/c/${containerName('busy')}?w=1m`);
    const charts = page.locator('.charts[data-first-sample]');
    await expect(charts).toBeVisible();
    await expect
      .poll(
        async () => {
          const first = Number(await charts.getAttribute('data-first-sample'));
          const last = Date.parse((await page.getByTestId('last-sample').getAttribute('datetime')) ?? '');
          return last - first;
        },
        { timeout: SPAN_MS + 30_000 },
      )
      .toBeGreaterThanOrEqual(SPAN_MS);
  } finally {
    await page.close();
  }
});

async function overviewReady(page: Page): Promise<void> {
  await page.goto('/?group=1');
  await expectLive(page);
  await expect.poll(async () => leadingNumber(await cell(page, containerName('busy'), 'cpu').textContent())).toBeGreaterThan(0);
}

async function viewReady(page: Page): Promise<void> {
  await page.goto(`/c/${containerName('busy')}?w=1m`);
  await expectLive(page);
  await expect(page.locator('.uplot canvas')).toHaveCount(5);
  await expect.poll(async () => leadingNumber(await page.getByTestId('now-cpu').textContent())).toBeGreaterThan(0);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`overview and container view, ${scheme}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await overviewReady(page);
    await page.screenshot({ path: scheme === 'light' ? README_PICTURE : `${ARTIFACTS}overview-${scheme}.png` });
    await viewReady(page);
    await page.screenshot({ path: `${ARTIFACTS}container-${scheme}.png`, fullPage: true });
  });
}

test('overview and container view on a phone', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL: baseURL ?? '', viewport: { width: 390, height: 844 }, isMobile: true });
  try {
    const page = await context.newPage();
    await overviewReady(page);
    await page.screenshot({ path: `${ARTIFACTS}overview-phone.png` });
    await viewReady(page);
    await page.screenshot({ path: `${ARTIFACTS}container-phone.png`, fullPage: true });
  } finally {
    await context.close();
  }
});
