/** The app's routes, parsed from a location path. */

export type Route = { name: 'overview' } | { name: 'container'; ref: string } | { name: 'not-found'; path: string };

/** `/` is the overview; `/c/<id or name>` a container. */
export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { name: 'overview' };
  const m = /^\/c\/([^/]+)\/?$/.exec(path);
  if (m?.[1]) {
    try {
      return { name: 'container', ref: decodeURIComponent(m[1]) };
    } catch {
      return { name: 'not-found', path };
    }
  }
  return { name: 'not-found', path };
}

/** The path of a container's view. */
export function containerPath(ref: string): string {
  return `/c/${encodeURIComponent(ref)}`;
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
