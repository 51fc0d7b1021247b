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

/** Time windows of the container view. */
export const WINDOWS = [
  { key: '1m', ms: 60_000, label: '1 min' },
  { key: '5m', ms: 5 * 60_000, label: '5 min' },
  { key: '15m', ms: 15 * 60_000, label: '15 min' },
] as const;
export type WindowKey = (typeof WINDOWS)[number]['key'];

/** The window a `?w=` value names; 5 minutes for anything else. */
export function parseWindow(value: string | null): (typeof WINDOWS)[number] {
  return WINDOWS.find((w) => w.key === value) ?? WINDOWS[1];
}
