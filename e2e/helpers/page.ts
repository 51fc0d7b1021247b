/** Reading what a person sees on the dashboard. */
import { expect, type Locator, type Page } from '@playwright/test';

/** A container's row in the overview (a card on a narrow screen). */
export function row(page: Page, name: string): Locator {
  return page.locator(`[role="row"][data-name="${name}"]`);
}

/** A figure in a row, by column: `cpu`, `mem`, `mem-percent`, `net`, `blk`, `pids`. */
export function cell(page: Page, name: string, col: string): Locator {
  return row(page, name).locator(`[data-col="${col}"]`);
}

/** The number a text starts with (`49.8%` → 49.8); NaN for `—`. */
export function leadingNumber(text: string | null): number {
  return Number.parseFloat((text ?? '').replace(/,/g, '').trim());
}

/** Names of the rows shown, top to bottom. */
export async function rowNames(page: Page): Promise<string[]> {
  return page.locator('[role="row"][data-name]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name') ?? ''));
}

/** Waits until the connection indicator says the data is live. */
export async function expectLive(page: Page): Promise<void> {
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
}
