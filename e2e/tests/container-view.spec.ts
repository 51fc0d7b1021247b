import { expect, test, type Page } from '@playwright/test';
import { containerName } from '../helpers/docker.js';
import { skipWithout } from '../helpers/host-features.js';
import { expectLive, leadingNumber } from '../helpers/page.js';

async function openView(page: Page, role: string): Promise<string> {
  const name = containerName(role);
  await page.goto(`/c/${name}`);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expectLive(page);
  return name;
}

test('draws the five charts and keeps them advancing', async ({ page }) => {
  await openView(page, 'busy');
  const charts = page.locator('.uplot');
  await expect(charts).toHaveCount(5);
  for (const label of ['CPU', 'Memory', 'Network', 'Block I/O', 'PIDs']) {
    await expect(page.getByRole('heading', { level: 2, name: label })).toBeVisible();
  }
  await expect(page.locator('.uplot canvas')).toHaveCount(5);

  const last = page.getByTestId('last-sample');
  await expect(last).toBeVisible();
  const first = await last.getAttribute('datetime');
  await expect.poll(() => last.getAttribute('datetime')).not.toBe(first);

  await expect
    .poll(async () => {
      const cpu = leadingNumber(await page.getByTestId('now-cpu').textContent());
      return cpu >= 40 && cpu <= 60 ? 'about 50 %' : `${cpu} %`;
    })
    .toBe('about 50 %');
});

test('the charts are filled with pixels, not just created', async ({ page }) => {
  await openView(page, 'busy');
  // The CPU chart of a half-busy container has drawn its series: some pixels of the canvas are not blank.
  await expect
    .poll(() =>
      page
        .locator('.uplot canvas')
        .first()
        .evaluate((c: HTMLCanvasElement) => {
          const ctx = c.getContext('2d');
          if (!ctx) return 0;
          const { data } = ctx.getImageData(0, 0, c.width, c.height);
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted++;
          return painted;
        }),
    )
    .toBeGreaterThan(0);
});

test('opens filled with the recent past from the server, not empty', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL: baseURL ?? '' });
  try {
    // While the overview is open the server samples every container, building history.
    const overview = await context.newPage();
    await overview.goto('/');
    await expectLive(overview);
    const busy = containerName('busy');
    const earliest = Date.now();
    const cpu = overview.locator(`[role="row"][data-name="${busy}"] [data-col="cpu"]`);
    for (let i = 0; i < 3; i++) {
      const seen = await cpu.textContent();
      await expect.poll(() => cpu.textContent()).not.toBe(seen);
    }

    const openedAt = Date.now();
    const view = await context.newPage();
    await view.goto(`/c/${busy}`);
    const charts = view.locator('.charts[data-first-sample]');
    await expect(charts).toBeVisible();
    // The first sample drawn is older than the page: it came in the `history` frame.
    const first = Number(await charts.getAttribute('data-first-sample'));
    expect(first).toBeLessThan(openedAt);
    expect(first).toBeGreaterThan(earliest - 15 * 60_000);
  } finally {
    await context.close();
  }
});

test('switches the time window', async ({ page }) => {
  await openView(page, 'idle-a');
  const group = page.getByRole('group', { name: 'Time window' });
  await expect(group.getByRole('button', { name: '5 min', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await group.getByRole('button', { name: '1 min', exact: true }).click();
  await expect(group.getByRole('button', { name: '1 min', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(group.getByRole('button', { name: '5 min', exact: true })).toHaveAttribute('aria-pressed', 'false');
  await expect(page).toHaveURL(/w=1m/);
  await expect(page.locator('.uplot canvas')).toHaveCount(5);
  await page.reload();
  await expect(page.getByRole('group', { name: 'Time window' }).getByRole('button', { name: '1 min', exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
});

test('shows the memory held against the limit', async ({ page }) => {
  skipWithout('memory');
  await openView(page, 'mem');
  await expect.poll(async () => leadingNumber(await page.getByTestId('now-mem').textContent())).toBeGreaterThanOrEqual(20);
  await expect(page.getByTestId('now-mem')).toContainText(/MiB \/ \d+(\.\d+)? (MiB|GiB|TiB)/);
  // It has no limit (its "limit" is the host's memory): the chart is fitted to what it uses, unless asked otherwise.
  const fit = page.getByRole('button', { name: 'fit to usage' });
  await expect(fit).toHaveAttribute('aria-pressed', 'true');
  await fit.click();
  await expect(fit).toHaveAttribute('aria-pressed', 'false');
  await expect(page).toHaveURL(/mem=limit/);
});

test('an unknown container says so', async ({ page }) => {
  await page.goto('/c/dpe2e-no-such-container');
  await expect(page.getByTestId('not-found')).toBeVisible();
  await page.getByRole('link', { name: 'See all containers' }).click();
  await expect(page).toHaveURL(/\/$/);
});
