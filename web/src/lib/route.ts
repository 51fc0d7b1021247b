/** The app's routes, parsed from a location path. */
import { isHostName } from '@dockpulse/shared';

export type Route =
  | { name: 'overview' }
  /** `host` is absent for the one-segment form, which names a container on whichever host has it. */
  | { name: 'container'; host?: string; ref: string }
  | { name: 'share'; token: string }
  | { name: 'embed'; host?: string; ref: string }
  | { name: 'not-found'; path: string };

const CONTAINER = /^\/(c|embed)\/([^/]+)(?:\/([^/]+))?\/?$/;
const SHARE = /^\/s\/([^/]+)\/?$/;

/**
 * `/` is the overview; `/c/<host>/<id or name>` a container, and `/c/<id or name>` one on whichever host has
 * it; `/s/<share token>` a share link's read-only view; `/embed/<host>/<id or name>` (or
 * `/embed/<id or name>`, or `/embed/-` for a share token's container) the chromeless view for iframes.
 */
export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { name: 'overview' };
  try {
    const share = SHARE.exec(path);
    if (share?.[1]) return { name: 'share', token: decodeURIComponent(share[1]) };
    const c = CONTAINER.exec(path);
    if (c?.[1] && c[2]) {
      const name = c[1] === 'c' ? 'container' : 'embed';
      if (c[3] === undefined) return { name, ref: decodeURIComponent(c[2]) };
      const host = decodeURIComponent(c[2]);
      if (isHostName(host)) return { name, host, ref: decodeURIComponent(c[3]) };
    }
  } catch {
    // A malformed escape: no such page.
  }
  return { name: 'not-found', path };
}

/** Pages that are apps of their own, loaded by the browser rather than routed inside the dashboard. */
export function isStandalonePath(path: string): boolean {
  const name = parseRoute(path).name;
  return name === 'share' || name === 'embed';
}

/** The path of a container's view: `/c/<host>/<ref>`, or `/c/<ref>` without a host. */
export function containerPath(ref: string, host?: string): string {
  return host === undefined ? `/c/${encodeURIComponent(ref)}` : `/c/${encodeURIComponent(host)}/${encodeURIComponent(ref)}`;
}

/** Live time windows of a container's charts: the samples the socket streams, ending at the newest. */
export const WINDOWS = [
  { key: '1m', ms: 60_000, label: '1 min' },
  { key: '5m', ms: 5 * 60_000, label: '5 min' },
  { key: '15m', ms: 15 * 60_000, label: '15 min' },
] as const;
export type WindowKey = (typeof WINDOWS)[number]['key'];

/** Long time windows: the gateway's stored points, ending now. */
export const HISTORY_WINDOWS = [
  { key: '1h', ms: 3_600_000, label: '1 h' },
  { key: '6h', ms: 6 * 3_600_000, label: '6 h' },
  { key: '24h', ms: 24 * 3_600_000, label: '24 h' },
  { key: '7d', ms: 7 * 86_400_000, label: '7 d' },
  { key: '30d', ms: 30 * 86_400_000, label: '30 d' },
] as const;
export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];

/** Any window of the container view. */
export type ChartWindow = (typeof WINDOWS)[number] | HistoryWindow;

/** True for a window drawn from the gateway's stored history. */
export function isHistoryWindow(w: ChartWindow): w is HistoryWindow {
  return HISTORY_WINDOWS.some((h) => h.key === w.key);
}

/** The window a `?w=` value names; 5 minutes for anything else. */
export function parseWindow(value: string | null): ChartWindow {
  return WINDOWS.find((w) => w.key === value) ?? HISTORY_WINDOWS.find((w) => w.key === value) ?? WINDOWS[1];
}
