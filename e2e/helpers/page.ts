/** Reading what a person sees on the dashboard. */
import { expect, type FrameLocator, type Locator, type Page } from '@playwright/test';

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

/** Waits until the charts on a page (or in a frame) span at least `ms` of samples, so that they draw lines. */
export async function expectChartSpan(root: Page | FrameLocator, ms: number): Promise<void> {
  const charts = root.locator('.charts[data-first-sample]');
  await expect
    .poll(async () => Number(await charts.getAttribute('data-last-sample')) - Number(await charts.getAttribute('data-first-sample')), {
      timeout: ms + 30_000,
    })
    .toBeGreaterThanOrEqual(ms);
}
