import { expect, test } from '@playwright/test';
import { containerName } from '../helpers/docker.js';
import { RESTART_PORT } from '../helpers/ports.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { cell, expectLive, row } from '../helpers/page.js';

// This test owns its server, on its own port, so that it can kill and restart it.
test('after the server restarts, the page recovers by itself', async ({ page }) => {
  let server: RunningServer | undefined = await startServer(RESTART_PORT);
  try {
    const busy = containerName('busy');
    await page.goto(`${server.url}/`);
    await expectLive(page);
    await expect(row(page, busy)).toBeVisible();

    await server.kill();
    server = undefined;
    await expect(page.getByTestId('connection')).not.toHaveAttribute('data-state', 'live');
    const cpu = cell(page, busy, 'cpu');
    const frozen = await cpu.textContent();

    server = await startServer(RESTART_PORT);
    // No reload: the client reconnects, resubscribes, and the numbers move again.
    await expectLive(page);
    await expect.poll(() => cpu.textContent()).not.toBe(frozen);

    await row(page, busy).getByRole('link', { name: busy }).click();
    const last = page.getByTestId('last-sample');
    await expect(last).toBeVisible();

    await server.kill();
    server = undefined;
    await expect(page.getByTestId('connection')).not.toHaveAttribute('data-state', 'live');
    const stoppedAt = await last.getAttribute('datetime');

    server = await startServer(RESTART_PORT);
    await expectLive(page);
    await expect.poll(() => last.getAttribute('datetime')).not.toBe(stoppedAt);
    await expect(page.locator('.uplot canvas')).toHaveCount(5);
  } finally {
    await server?.kill();
  }
});
