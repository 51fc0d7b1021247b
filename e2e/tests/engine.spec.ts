import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { containerName, runId } from '../helpers/docker.js';
import { expectLive, row } from '../helpers/page.js';
import { OUTAGE_PORT } from '../helpers/ports.js';
import { startServer } from '../helpers/server.js';
import { startSocketProxy, type SocketProxy } from '../helpers/socket-proxy.js';

test('an unreachable engine: the page names the endpoint, says how to fix it, and recovers by itself', async ({ page }) => {
  // The server is pointed at a socket nobody listens on yet; later a proxy to the real engine appears there.
  const socket = join(tmpdir(), `dpe2e-${runId()}-docker.sock`);
  await rm(socket, { force: true });
  const endpoint = `unix://${socket}`;
  const server = await startServer(OUTAGE_PORT, { DOCKER_HOST: endpoint });
  let proxy: SocketProxy | undefined;
  try {
    await page.goto(`${server.url}/`);
    await expectLive(page);
    const banner = page.getByTestId('engine-down');
    await expect(banner).toBeVisible();
    await expect(banner).toContainText(endpoint);
    await expect(banner).toContainText('docker group');
    await expect(banner).toContainText('DOCKER_HOST');
    await expect(page.getByTestId('no-containers')).toContainText('unreachable');

    proxy = await startSocketProxy(socket);

    await expect(banner).toBeHidden();
    await expect(row(page, containerName('busy'))).toBeVisible();
    await expect(row(page, containerName('busy'))).toHaveAttribute('data-state', 'running');
  } finally {
    await server.kill();
    await proxy?.close();
    await rm(socket, { force: true });
  }
});
