import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { containerName } from '../helpers/docker.js';
import { expectChartSpan, leadingNumber } from '../helpers/page.js';
import { EMBED_GATEWAY_PORT, EMBED_PAGE_PORT } from '../helpers/ports.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { startStaticServer, type RunningStaticServer } from '../helpers/static-server.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../docs/examples/embed.html', import.meta.url));

// A gateway that lets one other origin (the example's site) load its client, open its socket and frame it.
let gateway: RunningServer;
let site: RunningStaticServer;

test.beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  site = await startStaticServer(EMBED_PAGE_PORT, {
    '/embed.html': { type: 'text/html; charset=utf-8', body: await readFile(EXAMPLE, 'utf8') },
  });
  gateway = await startServer(EMBED_GATEWAY_PORT, { DOCKPULSE_ORIGINS: site.url, DOCKPULSE_FRAME_ANCESTORS: site.url });
});

test.afterAll(async () => {
  await gateway?.kill();
  await site?.close();
});

/** The figures the example page shows from the JS client keep changing, and the iframe draws its two charts. */
async function expectLiveExample(page: Page): Promise<void> {
  const cpu = page.getByTestId('cpu');
  await expect(cpu).toHaveText(/^\d+(\.\d)? %$/);
  const seen = await cpu.textContent();
  await expect.poll(() => cpu.textContent()).not.toBe(seen);
  await expect.poll(async () => leadingNumber(await cpu.textContent())).toBeGreaterThan(20);
  await expect(page.getByTestId('mem')).toHaveText(/^\d+(\.\d+)? (MiB|GiB)$/);

  const frame = page.frameLocator('iframe#charts');
  await expect(frame.locator('.uplot canvas')).toHaveCount(2);
  await expect(frame.getByRole('heading', { level: 2 })).toHaveText(['CPU', 'Memory']);
  await expect.poll(async () => leadingNumber(await frame.getByTestId('now-cpu').textContent())).toBeGreaterThan(20);
  // Chromeless: no header, no navigation.
  await expect(frame.locator('header.top')).toHaveCount(0);
  await expect(frame.locator('a')).toHaveCount(0);
}

test('the example page on another origin: live figures from the JS client, charts in the iframe', async ({ page }) => {
  const busy = containerName('busy');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.url}/embed.html?gateway=${encodeURIComponent(gateway.url)}&container=${busy}`);
  await expect(page.locator('#name')).toHaveText(busy);
  await expectLiveExample(page);
  await expect(page.locator('#status')).toHaveText(/live|running/);
  await expectChartSpan(page.frameLocator('iframe#charts'), 15_000);
  await page.screenshot({ path: `${ARTIFACTS}embed-example.png`, fullPage: true });
  expect(errors).toEqual([]);
});

test('the example page with a share token in its fragment', async ({ page, request }) => {
  const busy = containerName('busy');
  const res = await request.post(`${gateway.url}/api/shares`, { data: { container: busy, ttlSeconds: 600 } });
  expect(res.status()).toBe(201);
  const { token, id } = (await res.json()) as { token: string; id: string };
  await page.goto(`${site.url}/embed.html?gateway=${encodeURIComponent(gateway.url)}#token=${token}`);
  await expect(page.locator('#name')).toHaveText(busy);
  await expectLiveExample(page);

  // The token opens its own container's embed alone: another one's address says so, rather than showing it.
  const other = await page.context().newPage();
  try {
    await other.goto(`${gateway.url}/embed/${containerName('idle-a')}#token=${token}`);
    await expect(other.getByTestId('embed-notice')).toHaveAttribute('data-reason', 'forbidden');
    await expect(other.locator('.uplot')).toHaveCount(0);
  } finally {
    await other.close();
  }

  // Revoked: the JS client and the iframe both say so.
  expect((await request.delete(`${gateway.url}/api/shares/${id}`)).status()).toBe(204);
  await expect(page.locator('#status')).toHaveText('this link has expired or was revoked', { timeout: 5000 });
  await expect(page.frameLocator('iframe#charts').getByTestId('embed-notice')).toHaveAttribute('data-reason', 'expired');
});

test('embed options: theme, which charts in which order, time window', async ({ page }) => {
  const busy = containerName('busy');
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`${gateway.url}/embed/${busy}?theme=dark&charts=pids,cpu&window=1`);
  await expect(page.getByRole('heading', { level: 2 })).toHaveText(['PIDs', 'CPU']);
  await expect(page.locator('.uplot canvas')).toHaveCount(2);
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  // The dark scheme's background although the system's is light.
  expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe('rgb(13, 17, 23)');
  await expect.poll(async () => leadingNumber(await page.getByTestId('now-cpu').textContent())).toBeGreaterThan(20);
  await page.screenshot({ path: `${ARTIFACTS}embed-dark.png` });

  await page.goto(`${gateway.url}/embed/dpe2e-no-such-container`);
  await expect(page.getByTestId('embed-notice')).toHaveAttribute('data-reason', 'not_found');
});
