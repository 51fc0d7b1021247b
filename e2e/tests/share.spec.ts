import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { containerName } from '../helpers/docker.js';
import { expectChartSpan, expectLive } from '../helpers/page.js';
import { AUTH_PORT } from '../helpers/ports.js';
import { startServer, type RunningServer } from '../helpers/server.js';

/** Screenshots for people to look at (gitignored); nothing is compared against them. */
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

// These tests own a gateway with an access token, on its own port.
const ACCESS_TOKEN = randomBytes(24).toString('base64url');
let server: RunningServer;

test.beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  server = await startServer(AUTH_PORT, { DOCKPULSE_TOKEN: ACCESS_TOKEN });
});

test.afterAll(async () => {
  await server?.kill();
});

async function logIn(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.getByLabel('Access token').fill(ACCESS_TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('log in, share a container, watch the link live in a fresh browser, revoke it', async ({ browser }) => {
  const owner = await browser.newContext({ baseURL: server.url });
  const visitor = await browser.newContext();
  try {
    const busy = containerName('busy');
    const page = await owner.newPage();
    await page.goto(`/c/${busy}`);

    // Without a session the dashboard asks for the token; a wrong one is refused and said so.
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await page.getByLabel('Access token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByTestId('login-error')).toContainText('not the access token');
    await expect(page.getByLabel('Access token')).toHaveValue('');
    await page.screenshot({ path: `${ARTIFACTS}login.png` });
    await logIn(page);
    await expect(page.getByRole('heading', { level: 1, name: busy })).toBeVisible();
    await expectLive(page);
    // The token went in a POST body, never into the address.
    expect(page.url()).not.toContain(ACCESS_TOKEN);

    // The share panel, from the keyboard: Share opens it with the focus inside.
    const share = page.getByRole('button', { name: 'Share' });
    await share.focus();
    await page.keyboard.press('Enter');
    const panel = page.getByTestId('share-panel');
    await expect(panel).toBeVisible();
    await expect(share).toHaveAttribute('aria-expanded', 'true');
    await expect(panel.getByLabel('1 hour')).toBeFocused();
    // Escape closes it and gives the focus back to the button; Enter opens it again.
    await page.keyboard.press('Escape');
    await expect(panel).toHaveCount(0);
    await expect(share).toBeFocused();
    await expect(share).toHaveAttribute('aria-expanded', 'false');
    await page.keyboard.press('Enter');
    await expect(panel.getByLabel('1 hour')).toBeFocused();
    await expect(panel.getByTestId('no-shares')).toBeVisible();
    await panel.getByLabel('1 day').check();
    await panel.getByRole('button', { name: 'Create link' }).click();
    const linkField = panel.getByTestId('share-link');
    await expect(linkField).toHaveValue(/\/s\/dps1\./);
    const link = await linkField.inputValue();
    expect(link.startsWith(`${server.url}/s/`)).toBe(true);
    const items = panel.getByTestId('share-list').getByRole('listitem');
    await expect(items).toHaveCount(1);
    await expect(items.first()).toContainText(/expires in 2[34] h/);
    await expect.poll(async () => Number.parseFloat((await page.getByTestId('now-cpu').textContent()) ?? '')).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}share-panel.png` });

    // A fresh context: no cookie, nothing but the link.
    const shared = await visitor.newPage();
    const apiCalls: string[] = [];
    shared.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls.push(r.url());
    });
    await shared.goto(link);
    await expect(shared.getByRole('heading', { level: 1, name: busy })).toBeVisible();
    await expectLive(shared);
    await expect(shared.locator('.uplot canvas')).toHaveCount(5);
    const last = shared.getByTestId('last-sample');
    const first = await last.getAttribute('datetime');
    await expect.poll(() => last.getAttribute('datetime')).not.toBe(first);
    await expect.poll(async () => Number.parseFloat((await shared.getByTestId('now-cpu').textContent()) ?? '')).toBeGreaterThan(20);

    // That container and nothing else: no link anywhere, no list, no share button.
    await expect(shared.locator('a')).toHaveCount(0);
    await expect(shared.getByText(/all containers/i)).toHaveCount(0);
    await expect(shared.getByRole('table', { name: 'Containers' })).toHaveCount(0);
    await expect(shared.getByRole('button', { name: 'Share' })).toHaveCount(0);
    await expect(shared.getByRole('button', { name: 'Log out', exact: true })).toHaveCount(0);
    // The window buttons work here too; a minute of a fresh server's samples makes a picture with lines.
    await shared.getByRole('group', { name: 'Time window' }).getByRole('button', { name: '1 min', exact: true }).click();
    await expectChartSpan(shared, 15_000);
    await shared.screenshot({ path: `${ARTIFACTS}shared-view.png`, fullPage: true });

    // Revoked by its owner: the open page says so within seconds, and stops trying.
    await items
      .first()
      .getByRole('button', { name: /^Revoke/ })
      .click();
    await expect(panel.getByTestId('no-shares')).toBeVisible();
    await expect(shared.getByTestId('share-ended')).toHaveAttribute('data-reason', 'expired', { timeout: 5000 });
    await expect(shared.getByRole('heading', { level: 1 })).toHaveText('This link has expired or was revoked.');
    await expect(shared.locator('.uplot')).toHaveCount(0);
    await shared.screenshot({ path: `${ARTIFACTS}shared-revoked.png` });

    // Opened again later, the revoked link says the same at once.
    await shared.reload();
    await expect(shared.getByTestId('share-ended')).toHaveAttribute('data-reason', 'expired');
    expect(apiCalls).toEqual([]);
  } finally {
    await visitor.close();
    await owner.close();
  }
});

test('a link that is not valid says so', async ({ browser }) => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/s/dps1.bm90LWEtdG9rZW4.c2lnbmF0dXJl`);
    await expect(page.getByTestId('share-ended')).toHaveAttribute('data-reason', 'invalid');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link is not valid.');
  } finally {
    await context.close();
  }
});

test('log out returns to the token form, also after a reload', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: server.url });
  try {
    const page = await context.newPage();
    await page.goto('/');
    await logIn(page);
    await expectLive(page);
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await expect(page.getByTestId('connection')).toHaveCount(0);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  } finally {
    await context.close();
  }
});

test('log out everywhere ends the session of another browser at once, and leaves its share link open', async ({ browser }) => {
  // Three browsers that each go live: three times the time of a one-browser test.
  test.slow();
  const here = await browser.newContext({ baseURL: server.url });
  const there = await browser.newContext({ baseURL: server.url });
  const visitor = await browser.newContext();
  try {
    const mine = await here.newPage();
    const theirs = await there.newPage();
    for (const page of [mine, theirs]) {
      await page.goto('/');
      await logIn(page);
      await expectLive(page);
    }
    // A link made before, watched by someone without a session.
    const made = await mine.request.post('/api/shares', {
      data: { container: containerName('busy'), ttlSeconds: 600 },
      headers: { Origin: server.url },
    });
    expect(made.status()).toBe(201);
    const { url } = (await made.json()) as { url: string };
    const shared = await visitor.newPage();
    await shared.goto(url);
    await expectLive(shared);

    await mine.getByRole('button', { name: 'Log out everywhere' }).click();
    await expect(mine.getByRole('heading', { name: 'Log in' })).toBeVisible();
    // The other browser's socket is closed by the gateway: its page asks for the token again, without a reload.
    await expect(theirs.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await expect(theirs.getByText('Your session ended')).toBeVisible();
    await theirs.reload();
    await expect(theirs.getByRole('heading', { name: 'Log in' })).toBeVisible();

    await expect(shared.getByTestId('share-ended')).toHaveCount(0);
    await expectLive(shared);
  } finally {
    await visitor.close();
    await there.close();
    await here.close();
  }
});
