/**
 * Main-thread cost of the dashboard with many containers updating every second, measured in Debian's
 * Chromium: Chrome's own task-time counter (CDP `Performance.getMetrics` → TaskDuration) over a steady-state
 * window, reported as busy milliseconds per second of wall time. The feed is the synthetic one (see
 * synthetic-feed.ts), so only the browser's work is on the clock.
 *
 *   pnpm --filter @dockpulse/e2e bench:web                 # 200 containers, 30 s per scenario
 *   BENCH_CONTAINERS=500 BENCH_SECONDS=60 pnpm --filter @dockpulse/e2e bench:web
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test, type Page } from '@playwright/test';
import { startSyntheticFeed, type SyntheticFeed } from './synthetic-feed.js';

const CONTAINERS = Number(process.env['BENCH_CONTAINERS'] ?? 200);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const WARMUP_S = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 8);
const INTERVAL_MS = 1000;
const HISTORY_MS = 15 * 60_000;
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

interface Figures {
  scenario: string;
  /** Main-thread task time per second of wall time, ms. */
  busyMsPerS: number;
  scriptMsPerS: number;
  styleMsPerS: number;
  layoutMsPerS: number;
  longTasks: number;
  /** Stats frames the feed sent during the window (one per second when all is well). */
  frames: number;
  seconds: number;
}

const results: Figures[] = [];
let feed: SyntheticFeed;
let readyMs = 0;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  feed = await startSyntheticFeed({ containers: CONTAINERS, intervalMs: INTERVAL_MS, historyMs: HISTORY_MS });
});

test.afterAll(async () => {
  await feed?.close();
  const lines = [
    `dashboard bench: ${CONTAINERS} containers, one sample each per ${INTERVAL_MS} ms, ${SECONDS} s per scenario`,
    `overview ready (all rows with live numbers, ${HISTORY_MS / 60_000} min of history each) in ${(readyMs / 1000).toFixed(1)} s`,
    'scenario                       busy ms/s  script  style  layout  long tasks  frames',
    ...results.map(
      (r) =>
        `${r.scenario.padEnd(30)} ${r.busyMsPerS.toFixed(1).padStart(9)} ${r.scriptMsPerS.toFixed(1).padStart(7)} ${r.styleMsPerS
          .toFixed(1)
          .padStart(6)} ${r.layoutMsPerS.toFixed(1).padStart(7)} ${String(r.longTasks).padStart(11)} ${String(r.frames).padStart(7)}`,
    ),
  ];
  console.log(`\n${lines.join('\n')}\n`);
  await mkdir(RESULTS, { recursive: true });
  await writeFile(
    `${RESULTS}dashboard.json`,
    `${JSON.stringify({ containers: CONTAINERS, seconds: SECONDS, readyMs, results, at: new Date().toISOString() }, null, 2)}\n`,
  );
});

type Metrics = Record<string, number>;

async function measure(page: Page, scenario: string): Promise<void> {
  // Let the first render, history and any re-sort settle before the clock starts.
  await page.waitForTimeout(WARMUP_S * 1000);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const read = async (): Promise<Metrics> => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  };
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number };
    w.__longTasks = 0;
    new PerformanceObserver((list) => (w.__longTasks += list.getEntries().length)).observe({ type: 'longtask' });
  });
  const frames0 = feed.framesSent();
  const m0 = await read();
  await page.waitForTimeout(SECONDS * 1000);
  const m1 = await read();
  const frames = feed.framesSent() - frames0;
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number }).__longTasks);
  await cdp.detach();
  const wall = (m1['Timestamp'] ?? 0) - (m0['Timestamp'] ?? 0);
  const perS = (k: string) => (((m1[k] ?? 0) - (m0[k] ?? 0)) * 1000) / wall;
  results.push({
    scenario,
    busyMsPerS: perS('TaskDuration'),
    scriptMsPerS: perS('ScriptDuration'),
    styleMsPerS: perS('RecalcStyleDuration'),
    layoutMsPerS: perS('LayoutDuration'),
    longTasks,
    frames,
    seconds: wall,
  });
}

/** Waits until every running container's row shows a CPU figure. */
async function waitForLiveRows(page: Page): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const rows = document.querySelectorAll('[role="row"][data-name]');
      if (rows.length < n) return false;
      for (const r of rows) {
        if (r.getAttribute('data-state') !== 'running') continue;
        if (r.querySelector('[data-col="cpu"]')?.textContent?.trim().startsWith('—')) return false;
      }
      return document.querySelector('[data-testid="connection"]')?.getAttribute('data-state') === 'live';
    },
    CONTAINERS,
    { timeout: 60_000, polling: 100 },
  );
}

test('overview, sorted by name', async ({ page }) => {
  const start = Date.now();
  await page.goto(`${feed.url}/`);
  await waitForLiveRows(page);
  readyMs = Date.now() - start;
  await measure(page, 'overview, by name');
});

test('overview, sorted by CPU (re-sorts as keys move)', async ({ page }) => {
  await page.goto(`${feed.url}/?sort=cpu&dir=desc`);
  await waitForLiveRows(page);
  await measure(page, 'overview, by CPU');
});

test('overview, grouped by project', async ({ page }) => {
  await page.goto(`${feed.url}/?group=1&sort=mem&dir=desc`);
  await waitForLiveRows(page);
  await measure(page, 'overview, grouped, by memory');
});

test('container view, 15 min window', async ({ page }) => {
  await page.goto(`${feed.url}/c/${feed.running[1] ?? ''}?w=15m`);
  await page.waitForSelector('.uplot canvas', { timeout: 30_000 });
  await measure(page, 'container view, 15 min');
});
