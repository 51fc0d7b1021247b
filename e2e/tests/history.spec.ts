import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerName } from '../helpers/docker.js';
import { expectLive, row } from '../helpers/page.js';
import { HISTORY_PORT, NO_HISTORY_PORT } from '../helpers/ports.js';
import { startServer, type RunningServer } from '../helpers/server.js';

/** CPU points with a value in the last `ms` of a container's history, as the HTTP API answers. */
async function cpuPoints(url: string, name: string, ms: number): Promise<number> {
  const now = Date.now();
  const res = await fetch(`${url}/api/containers/${name}/history?from=${now - ms}&to=${now}&metrics=cpu`);
  if (!res.ok) return -res.status;
  const body = (await res.json()) as { series: { cpu?: { avg: (number | null)[] } } };
  return (body.series.cpu?.avg ?? []).filter((v) => v !== null).length;
}

// This test owns its gateway and its state directory, so that it can stop it and find its history again.
test('after the gateway restarts, the long windows, the hour sparkline and a share link show the points recorded before', async ({
  page,
}) => {
  const stateDir = await mkdtemp(join(tmpdir(), 'dpe2e-history-'));
  const env = { DOCKPULSE_STATE_DIR: stateDir };
  let server: RunningServer | undefined = await startServer(HISTORY_PORT, env);
  try {
    const busy = containerName('busy');
    // Every running container is recorded, watched or not: a few seconds of the busy one.
    await expect.poll(() => cpuPoints(server!.url, busy, 60_000), { timeout: 30_000 }).toBeGreaterThanOrEqual(5);
    // Stopped as a service manager stops it, the gateway writes the minute under way.
    await server.stop();
    server = await startServer(HISTORY_PORT, env);

    // Some samples in memory since the restart, for the zoom below to find.
    await expect.poll(() => cpuPoints(server!.url, busy, 60_000), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    await page.goto(`${server.url}/c/${busy}`);
    await expect(page.getByRole('heading', { level: 1, name: busy })).toBeVisible();
    await expectLive(page);
    const windows = page.getByRole('group', { name: 'Time window' });
    await windows.getByRole('button', { name: '1 h', exact: true }).click();
    await expect(windows.getByRole('button', { name: '1 h', exact: true })).toHaveAttribute('aria-pressed', 'true');
    await expect(page).toHaveURL(/[?&]w=1h\b/);

    const history = page.getByTestId('history');
    await expect(history).toHaveAttribute('data-state', 'ready');
    await expect(history).toHaveAttribute('data-tier', 'minute');
    expect(Number(await history.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    await expect(page.locator('.uplot')).toHaveCount(5);
    // The CPU card sums the span up from the points before the restart: a figure, not a dash.
    await expect(history.locator('[data-chart="cpu"] header')).toContainText(/avg \d+(\.\d+)?%, peak \d+(\.\d+)?%/);
    await expect(page.getByTestId('history-empty')).toHaveCount(0);

    // A drag across the last two minutes zooms into them, at the resolution of the samples in memory.
    const over = history.locator('[data-chart="cpu"] .u-over');
    const box = await over.boundingBox();
    if (!box) throw new Error('the CPU chart has no plot area');
    await page.mouse.move(box.x + box.width * (1 - 2 / 60), box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect(page.getByRole('button', { name: 'Reset zoom' })).toBeVisible();
    await expect(history).toHaveAttribute('data-tier', 'raw');
    await expect(history).toHaveAttribute('data-step', '1');
    await expect(history).toHaveAttribute('data-state', 'ready');
    expect(Number(await history.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
    await page.getByRole('button', { name: 'Reset zoom' }).click();
    await expect(history).toHaveAttribute('data-tier', 'minute');

    // The overview's sparklines can show the last hour: the busy row draws the points from before the restart.
    await page.goto(`${server.url}/`);
    await page.getByRole('combobox', { name: 'Sparkline span' }).selectOption('1h');
    await expect(page).toHaveURL(/[?&]spark=1h\b/);
    await expect(page.getByRole('columnheader', { name: 'CPU, 1 h' })).toBeVisible();
    await expect(row(page, busy).locator('[data-spark="1h"] path')).toHaveAttribute('d', /^M/);

    // A share link's page shows its container's stored history too, asked over the link's own socket.
    const res = await fetch(`${server.url}/api/shares`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: server.url },
      body: JSON.stringify({ container: busy, ttlSeconds: 600 }),
    });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    await page.goto(`${server.url}/s/${encodeURIComponent(token)}`);
    await expect(page.getByRole('heading', { level: 1, name: busy })).toBeVisible();
    await page.getByRole('group', { name: 'Time window' }).getByRole('button', { name: '24 h', exact: true }).click();
    const shared = page.getByTestId('history');
    await expect(shared).toHaveAttribute('data-state', 'ready');
    await expect(shared).toHaveAttribute('data-tier', 'minute');
    expect(Number(await shared.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
  } finally {
    await server?.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('a gateway that keeps no history says so in the long windows and the overview, and the live charts go on', async ({ page }) => {
  const stateDir = await mkdtemp(join(tmpdir(), 'dpe2e-no-history-'));
  const server = await startServer(NO_HISTORY_PORT, {
    DOCKPULSE_STATE_DIR: stateDir,
    DOCKPULSE_KEEP_MINUTES: '0',
    DOCKPULSE_KEEP_HOURS: '0',
  });
  try {
    const busy = containerName('busy');
    await page.goto(`${server.url}/c/${busy}?w=6h`);
    await expect(page.getByTestId('history-unavailable')).toContainText('This gateway keeps no history');
    await expect(page.getByTestId('history')).toHaveAttribute('data-state', 'problem');
    await page.getByRole('group', { name: 'Time window' }).getByRole('button', { name: '5 min', exact: true }).click();
    await expect(page.locator('.charts[data-first-sample]')).toBeVisible();
    await expect(page.getByTestId('history')).toHaveCount(0);
    // Nor can the overview's sparklines show the hour: they say so, and show the live two minutes.
    await page.goto(`${server.url}/?spark=1h`);
    await expect(page.getByTestId('spark-unavailable')).toBeVisible();
    await expect(page.getByRole('columnheader', { name: 'CPU, 2 min' })).toBeVisible();
  } finally {
    await server.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
});
