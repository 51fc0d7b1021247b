import { expect, test } from '@playwright/test';
import { containerName, runId } from '../helpers/docker.js';
import { skipWithout } from '../helpers/host-features.js';
import { cell, expectLive, leadingNumber, row, rowNames } from '../helpers/page.js';

const ROLES = ['busy', 'idle-a', 'idle-b', 'mem', 'stop'];

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await expectLive(page);
});

test('lists the test containers with live numbers', async ({ page }) => {
  for (const role of ROLES) {
    const name = containerName(role);
    await expect(row(page, name)).toBeVisible();
    await expect(row(page, name).locator('[data-state]').first()).toHaveText('running');
    await expect(cell(page, name, 'cpu')).toHaveText(/^\s*\d+(\.\d+)?%/);
  }
  await expect(row(page, containerName('idle-a')).getByRole('cell').nth(2)).toContainText(`dpe2e-${runId()}`);
  // Live: a figure that moves every second changes on screen without a reload.
  const busyCpu = cell(page, containerName('busy'), 'cpu');
  const first = await busyCpu.textContent();
  await expect.poll(() => busyCpu.textContent()).not.toBe(first);
});

test('shows the memory of each test container against its limit', async ({ page }) => {
  skipWithout('memory');
  for (const role of ROLES) {
    await expect(cell(page, containerName(role), 'mem')).toContainText(/\d+(\.\d+)? (B|KiB|MiB|GiB) \/ \d+(\.\d+)? (KiB|MiB|GiB|TiB)/);
  }
});

test('shows the process count of each test container', async ({ page }) => {
  skipWithout('pids');
  for (const role of ROLES) await expect(cell(page, containerName(role), 'pids')).toHaveText(/^\s*\d+\s*$/);
});

test('the container limited to half a CPU shows about 50 %', async ({ page }) => {
  // The first reading after a start can be partial; a steady one must sit in the band.
  await expect
    .poll(async () => {
      const cpu = leadingNumber(await cell(page, containerName('busy'), 'cpu').textContent());
      return cpu >= 40 && cpu <= 60 ? 'about 50 %' : `${cpu} %`;
    })
    .toBe('about 50 %');
});

test('the container holding 20 MiB shows it', async ({ page }) => {
  skipWithout('memory');
  await expect.poll(async () => leadingNumber(await cell(page, containerName('mem'), 'mem').textContent())).toBeGreaterThanOrEqual(20);
  await expect(cell(page, containerName('mem'), 'mem')).toContainText('MiB /');
});

test('sorts by a column, both ways, and says so to assistive technology', async ({ page }) => {
  const busy = containerName('busy');
  const idle = containerName('idle-a');
  const order = async () => {
    const names = await rowNames(page);
    return names.indexOf(busy) < names.indexOf(idle) ? 'busy first' : 'idle first';
  };

  const cpuHeader = page.getByRole('columnheader', { name: 'CPU', exact: true });
  await cpuHeader.getByRole('button').click();
  await expect(cpuHeader).toHaveAttribute('aria-sort', 'descending');
  await expect(page).toHaveURL(/sort=cpu/);
  await expect.poll(order).toBe('busy first');

  await cpuHeader.getByRole('button').click();
  await expect(cpuHeader).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(order).toBe('idle first');

  const nameHeader = page.getByRole('columnheader', { name: 'Name', exact: true });
  await nameHeader.getByRole('button').click();
  await expect(nameHeader).toHaveAttribute('aria-sort', 'ascending');
  await expect(cpuHeader).not.toHaveAttribute('aria-sort', /.*/);
  const ours = (await rowNames(page)).filter((n) => n.startsWith(`dpe2e-${runId()}-`));
  expect(ours).toEqual([...ours].sort());
  expect(ours).toHaveLength(ROLES.length);
});

test('sort headers work from the keyboard', async ({ page }) => {
  const pidsButton = page.getByRole('columnheader', { name: 'PIDs', exact: true }).getByRole('button');
  await pidsButton.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('columnheader', { name: 'PIDs', exact: true })).toHaveAttribute('aria-sort', 'descending');
});

test('the filter narrows the list and clearing it brings all back', async ({ page }) => {
  const filter = page.getByRole('searchbox', { name: 'Filter containers' });
  await filter.fill(`dpe2e-${runId()} idle`);
  await expect(row(page, containerName('idle-a'))).toBeVisible();
  await expect(row(page, containerName('idle-b'))).toBeVisible();
  await expect(row(page, containerName('busy'))).toHaveCount(0);
  expect(await rowNames(page)).toEqual(expect.arrayContaining([containerName('idle-a'), containerName('idle-b')]));
  expect((await rowNames(page)).every((n) => n.includes('idle') || !n.startsWith('dpe2e-'))).toBe(true);

  await filter.fill('no-container-is-called-this');
  await expect(page.getByText('No container matches')).toBeVisible();
  await page.getByRole('button', { name: 'Clear the filter' }).click();
  await expect(row(page, containerName('busy'))).toBeVisible();
});

test('groups by compose project', async ({ page }) => {
  await page.getByLabel('Group by project').check();
  const group = page.getByRole('rowgroup').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^dpe2e-${runId()}`) }) });
  await expect(group.locator('[role="row"][data-name]')).toHaveCount(3);
  await expect(group.locator(`[data-name="${containerName('mem')}"]`)).toBeVisible();
  await expect(group.locator(`[data-name="${containerName('busy')}"]`)).toHaveCount(0);
});

test('on a phone the rows become cards, and nothing scrolls sideways', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL: baseURL ?? '', viewport: { width: 390, height: 844 }, isMobile: true });
  try {
    const page = await context.newPage();
    await page.goto('/');
    await expectLive(page);
    await expect(row(page, containerName('busy'))).toHaveCSS('display', 'grid');
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  } finally {
    await context.close();
  }
});

test('clicking a row opens its container view', async ({ page }) => {
  const name = containerName('busy');
  await row(page, name).getByRole('link', { name }).click();
  await expect(page).toHaveURL(new RegExp(`/c/${name}$`));
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await page.goBack();
  await expect(row(page, name)).toBeVisible();
});
