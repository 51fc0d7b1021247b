import { expect, test } from '@playwright/test';
import { containerName } from '../helpers/docker.js';
import { expectLive, row } from '../helpers/page.js';

test('a rule added in the form fires for a busy container: its row gets a badge and the panel lists it', async ({ page }) => {
  const busy = containerName('busy');
  const idle = containerName('idle-a');
  const ruleName = `busy ${busy}`;
  await page.goto('/');
  await expectLive(page);
  await expect(row(page, busy)).toBeVisible();
  await expect(row(page, busy).getByTestId('alert-badge')).toHaveCount(0);

  const panel = page.getByTestId('alerts-panel');
  await panel.locator('summary').click();
  const form = page.getByRole('form', { name: 'Add an alert rule' });
  await form.getByLabel('Name', { exact: true }).fill(ruleName);
  await form.getByLabel('Metric').selectOption('cpu');
  await form.getByLabel('Threshold').fill('1');
  await form.getByLabel('For (s)').fill('2');
  await form.getByLabel('Name glob').fill(busy);
  await form.getByRole('button', { name: 'Add rule' }).click();
  try {
    await expect(panel.getByText(ruleName)).toBeVisible();
    await expect(row(page, busy).getByTestId('alert-badge')).toBeVisible();
    await expect(panel.getByTestId('alerts-firing')).toContainText(busy);
    await expect(row(page, idle).getByTestId('alert-badge')).toHaveCount(0);

    // Deleting the rule takes its alert off the row.
    await panel.getByRole('button', { name: `Delete rule ${ruleName}` }).click();
    await expect(row(page, busy).getByTestId('alert-badge')).toHaveCount(0);
  } finally {
    // Whatever happened above, leave no rule behind for the tests after this one.
    const res = await page.request.get('/api/alerts');
    const { rules } = (await res.json()) as { rules: { id: string; name: string }[] };
    for (const r of rules.filter((x) => x.name === ruleName)) await page.request.delete(`/api/alerts/${r.id}`);
  }
});

test('a bad rule is refused in the form with the words the gateway uses, and nothing is added', async ({ page }) => {
  await page.goto('/');
  await expectLive(page);
  const panel = page.getByTestId('alerts-panel');
  await panel.locator('summary').click();
  const form = page.getByRole('form', { name: 'Add an alert rule' });
  await form.getByLabel('Name', { exact: true }).fill('too long a window');
  await form.getByLabel('For (s)').evaluate((el) => el.removeAttribute('max'));
  await form.getByLabel('For (s)').fill('90000');
  await form.getByRole('button', { name: 'Add rule' }).click();
  await expect(form.getByRole('alert')).toContainText('"for" must be a number of seconds above 0 and at most 86400');
  await expect(panel.getByText('too long a window')).toHaveCount(0);
});
