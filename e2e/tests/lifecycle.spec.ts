import { expect, test } from '@playwright/test';
import { IMAGE, TEST_LABEL, containerName, docker, runId } from '../helpers/docker.js';
import { expectLive, row } from '../helpers/page.js';

test('a stopped container shows as stopped in the overview and in its view, and again running when started', async ({
  browser,
  baseURL,
}) => {
  const name = containerName('stop');
  const context = await browser.newContext({ baseURL: baseURL ?? '' });
  try {
    const overview = await context.newPage();
    const view = await context.newPage();
    await overview.goto('/');
    await view.goto(`/c/${name}`);
    await expectLive(overview);
    await expectLive(view);
    await expect(row(overview, name)).toHaveAttribute('data-state', 'running');
    await expect(view.locator('h1 + [data-state]')).toHaveText('running');

    await docker('stop', name);

    await expect(row(overview, name)).toHaveAttribute('data-state', 'stopped');
    await expect(row(overview, name).locator('[data-col="cpu"]')).toHaveText(/—/);
    await expect(view.locator('h1 + [data-state]')).toHaveText('stopped');
    await expect(view.getByTestId('banner-stopped')).toBeVisible();

    // Hiding stopped containers hides it.
    await overview.getByLabel('Show stopped').uncheck();
    await expect(row(overview, name)).toHaveCount(0);
    await overview.getByLabel('Show stopped').check();

    await docker('start', name);

    await expect(row(overview, name)).toHaveAttribute('data-state', 'running');
    await expect(view.getByTestId('banner-stopped')).toBeHidden();
    const last = view.getByTestId('last-sample');
    const before = await last.getAttribute('datetime');
    await expect.poll(() => last.getAttribute('datetime')).not.toBe(before);
  } finally {
    await context.close();
    // Leave it running for any test after this one, whatever happened above.
    await docker('start', name).catch(() => undefined);
  }
});

test('a removed container: its view says so and keeps the last samples; the overview drops it', async ({ page, baseURL }) => {
  const name = `dpe2e-${runId()}-removed`;
  await docker(
    'run',
    '-d',
    '--name',
    name,
    '--label',
    TEST_LABEL,
    '--label',
    `dockpulse.test.run=${runId()}`,
    IMAGE,
    'sh',
    '-c',
    "trap 'exit 0' TERM; sleep 1d & wait",
  );
  try {
    await page.goto(`${baseURL ?? ''}/c/${name}`);
    await expectLive(page);
    const last = page.getByTestId('last-sample');
    await expect(last).toBeVisible();

    await docker('rm', '-f', name);

    await expect(page.getByTestId('banner-removed')).toBeVisible();
    await expect(page.locator('h1 + [data-state]')).toHaveText('removed');
    await expect(page.locator('.uplot canvas')).toHaveCount(5);
    await expect(last).toBeVisible();

    await page.getByRole('link', { name: '← All containers' }).click();
    await expect(page.locator(`[role="row"][data-name="${name}"]`)).toHaveCount(0);
  } finally {
    await docker('rm', '-f', name).catch(() => undefined);
  }
});
