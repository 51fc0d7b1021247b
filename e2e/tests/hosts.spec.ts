import { randomBytes } from 'node:crypto';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { AgentProcess, startNats, type TestNats } from '../helpers/bus.js';
import { containerName, runId } from '../helpers/docker.js';
import { expectChartSpan, expectLive } from '../helpers/page.js';
import { HOSTS_PORT } from '../helpers/ports.js';
import { startServer, type RunningServer } from '../helpers/server.js';

/**
 * One gateway serving two hosts: its own engine, and a host whose agent publishes on a nats-server. The agent
 * reads the same engine, so the test containers are listed under both hosts.
 */
const LOCAL = `dpe2e-${runId()}-local`;
const SECOND = `dpe2e-${runId()}-second`;

/** A container's row on one host. */
function hostRow(page: Page, name: string, host: string): Locator {
  return page.locator(`[role="row"][data-name="${name}"][data-host="${host}"]`);
}

/** A host's chip in the strip at the top. */
function chip(page: Page, host: string): Locator {
  return page.getByTestId('host-strip').locator(`[data-host="${host}"]`);
}

/** The containers a chip counts, from its "running/total running". */
async function chipTotal(page: Page, host: string): Promise<number> {
  const text = (await chip(page, host).getByTestId('host-counts').textContent()) ?? '';
  const m = /(\d+)\s*\/\s*(\d+)\s*running/.exec(text);
  return m ? Number(m[2]) : NaN;
}

test('a gateway of two hosts: both in the strip, grouped and filtered by host, and one host lost and back', async ({ page }) => {
  test.setTimeout(180_000);
  const busy = containerName('busy');
  let nats: TestNats | undefined;
  let agent: AgentProcess | undefined;
  let server: RunningServer | undefined;
  try {
    nats = await startNats();
    agent = new AgentProcess(SECOND, { DOCKPULSE_NATS_URL: nats.url, DOCKPULSE_AGENT_HEARTBEAT_MS: '500' });
    await agent.start();
    server = await startServer(HOSTS_PORT, {
      DOCKPULSE_NATS_URL: nats.url,
      DOCKPULSE_LOCAL_ENGINE: 'true',
      DOCKPULSE_HOST_NAME: LOCAL,
      DOCKPULSE_SHARE_SECRET: randomBytes(32).toString('hex'),
    });

    await page.goto(`${server.url}/`);
    await expectLive(page);

    // The strip: both hosts up, each with its containers counted (this run's five at least).
    for (const host of [LOCAL, SECOND]) {
      await expect(chip(page, host)).toHaveAttribute('data-state', 'up');
      await expect.poll(() => chipTotal(page, host)).toBeGreaterThanOrEqual(5);
    }
    await expect(hostRow(page, busy, LOCAL)).toBeVisible();
    await expect(hostRow(page, busy, SECOND)).toBeVisible();

    // Grouped by host: one group each, each with its own busy container.
    await page.getByLabel('Group by', { exact: true }).selectOption('host');
    await expect(page).toHaveURL(/group=host/);
    const groups = page.locator('[role="rowgroup"][data-group]');
    await expect(groups).toHaveCount(2);
    const secondGroup = page.locator(`[role="rowgroup"][data-group="${SECOND}"]`);
    await expect(secondGroup.getByRole('rowheader')).toContainText(SECOND);
    await expect(secondGroup.locator(`[role="row"][data-name="${busy}"]`)).toHaveAttribute('data-host', SECOND);
    await expect(page.locator(`[role="rowgroup"][data-group="${LOCAL}"] [role="row"][data-name="${busy}"]`)).toHaveAttribute(
      'data-host',
      LOCAL,
    );

    // The host filter narrows the rows to one host: the select, and host:<name> in the filter box.
    await page.getByLabel('Show the containers of').selectOption(SECOND);
    await expect(page).toHaveURL(new RegExp(`host=${SECOND}`));
    await expect(hostRow(page, busy, LOCAL)).toHaveCount(0);
    await expect(hostRow(page, busy, SECOND)).toBeVisible();
    await expect(page.locator(`[role="row"][data-name][data-host="${LOCAL}"]`)).toHaveCount(0);
    await page.getByLabel('Show the containers of').selectOption('');
    const filter = page.getByLabel('Filter containers');
    await filter.fill(`host:${LOCAL} ${busy}`);
    await expect(hostRow(page, busy, LOCAL)).toBeVisible();
    await expect(page.locator(`[role="row"][data-name][data-host="${SECOND}"]`)).toHaveCount(0);
    await filter.fill('');
    await expect(hostRow(page, busy, SECOND)).toBeVisible();

    // A container of the second host opens at /c/<host>/<name>, and its charts fill with that host's samples.
    await secondGroup.getByRole('link', { name: busy }).click();
    await expect(page).toHaveURL(new RegExp(`/c/${SECOND}/${busy}$`));
    await expect(page.getByRole('heading', { level: 1, name: busy })).toBeVisible();
    await expect(page.getByTestId('host')).toHaveText(SECOND);
    await expect(page.getByTestId('last-sample')).toBeVisible();
    await expectChartSpan(page, 3000);
    await page.getByRole('link', { name: '← All containers' }).click();
    await expect(hostRow(page, busy, SECOND)).toBeVisible();

    // The agent dies: its host turns unavailable, with its banner; its rows stay, shown as unavailable.
    await agent.kill9();
    await expect(chip(page, SECOND)).toHaveAttribute('data-state', 'unavailable');
    await expect(chip(page, SECOND).getByTestId('host-last-seen')).toContainText('last seen');
    await expect(chip(page, LOCAL)).toHaveAttribute('data-state', 'up');
    const banner = page.locator(`[data-testid="engine-down"][data-host="${SECOND}"]`);
    await expect(banner).toBeVisible();
    await expect(banner).toContainText(SECOND);
    await expect(page.locator('[data-testid="engine-down"]')).toHaveCount(1);
    await expect(hostRow(page, busy, SECOND)).toHaveAttribute('data-state', 'unavailable');
    await expect(hostRow(page, busy, LOCAL)).toHaveAttribute('data-state', 'running');

    // It comes back, and so does the page, without a reload.
    await agent.start();
    await expect(chip(page, SECOND)).toHaveAttribute('data-state', 'up');
    await expect(banner).toBeHidden();
    await expect(hostRow(page, busy, SECOND)).toHaveAttribute('data-state', 'running');
    await expect(hostRow(page, busy, SECOND).locator('[data-col="cpu"]')).not.toHaveText(/—/);
  } finally {
    await server?.kill();
    await agent?.kill9();
    await nats?.stop();
  }
});
