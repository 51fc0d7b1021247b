/** What an embed's address asks for: `/embed/<ref>?theme=…&charts=…&window=…#token=…`. */
import { CHART_KINDS, type ChartKind } from './chart-options.js';
import { WINDOWS } from './route.js';
import type { ThemeMode } from './theme.svelte.js';

export interface EmbedOptions {
  theme: ThemeMode;
  /** Charts to draw, in this order. */
  charts: ChartKind[];
  window: (typeof WINDOWS)[number];
  /** A share or access token from the fragment, which browsers never send to the server. */
  token: string | undefined;
}

/**
 * Reads an embed's options from its query string and fragment. Anything unknown falls back to the default
 * (auto theme, every chart, 5 minutes), so a typo shows a working embed rather than an error.
 */
export function parseEmbedOptions(search: string, hash: string): EmbedOptions {
  const q = new URLSearchParams(search);
  const themeParam = q.get('theme');
  const theme: ThemeMode = themeParam === 'light' || themeParam === 'dark' ? themeParam : 'auto';
  const charts: ChartKind[] = [];
  for (const part of (q.get('charts') ?? '').split(',')) {
    const kind = CHART_KINDS.find((k) => k === part.trim().toLowerCase());
    if (kind && !charts.includes(kind)) charts.push(kind);
  }
  const minutes = (q.get('window') ?? '').trim().replace(/m$/, '');
  const window = WINDOWS.find((w) => w.key === `${minutes}m`) ?? WINDOWS[1];
  return { theme, charts: charts.length > 0 ? charts : [...CHART_KINDS], window, token: fragmentToken(hash) };
}

/**
 * `token` from a fragment like `#token=dps1.…`. Read by hand rather than with URLSearchParams, which would
 * turn a `+` of an access token into a space.
 */
export function fragmentToken(hash: string): string | undefined {
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part.startsWith('token=')) continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice('token='.length));
    } catch {
      return undefined;
    }
    return value === '' ? undefined : value;
  }
  return undefined;
}
