import { expect, test } from '@playwright/test';
import { containerName } from '../helpers/docker.js';
import { expectLive } from '../helpers/page.js';
import { LIMITED_PORT } from '../helpers/ports.js';
import { startServer } from '../helpers/server.js';

test('more containers than the server lets one socket subscribe: the page says so, and a view still goes live', async ({ page }) => {
  // Four subscriptions: the container list, the alerts and two containers' stats.
  const server = await startServer(LIMITED_PORT, { DOCKPULSE_MAX_SUBSCRIPTIONS: '4' });
  try {
    await page.goto(`${server.url}/`);
    await expectLive(page);
    const note = page.getByRole('note');
    await expect(note).toContainText('Live stats for 2 of');
    await expect(note).toContainText('allows 4 subscriptions');

    // The container a view shows is subscribed first, whatever the overview had.
    const name = containerName('idle-b');
    await page.goto(`${server.url}/c/${name}`);
    await expectLive(page);
    const last = page.getByTestId('last-sample');
    await expect(last).toBeVisible();
    const first = await last.getAttribute('datetime');
    await expect.poll(() => last.getAttribute('datetime')).not.toBe(first);
  } finally {
    await server.kill();
  }
});
