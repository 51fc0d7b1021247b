/** The app's routes, parsed from a location path. */

export type Route =
  | { name: 'overview' }
  | { name: 'container'; ref: string }
  | { name: 'share'; token: string }
  | { name: 'embed'; ref: string }
  | { name: 'not-found'; path: string };

const ONE_SEGMENT: ReadonlyArray<readonly [RegExp, (v: string) => Route]> = [
  [/^\/c\/([^/]+)\/?$/, (ref) => ({ name: 'container', ref })],
  [/^\/s\/([^/]+)\/?$/, (token) => ({ name: 'share', token })],
  [/^\/embed\/([^/]+)\/?$/, (ref) => ({ name: 'embed', ref })],
];

/**
 * `/` is the overview; `/c/<id or name>` a container; `/s/<share token>` a share link's read-only view;
 * `/embed/<id or name, or - for a share token's container>` the chromeless view for iframes.
 */
export function parseRoute(path: string): Route {
  if (path === '/' || path === '') return { name: 'overview' };
  for (const [re, route] of ONE_SEGMENT) {
    const m = re.exec(path);
    if (!m?.[1]) continue;
    try {
      return route(decodeURIComponent(m[1]));
    } catch {
      return { name: 'not-found', path };
    }
  }
  return { name: 'not-found', path };
}

/** Pages that are apps of their own, loaded by the browser rather than routed inside the dashboard. */
export function isStandalonePath(path: string): boolean {
  const name = parseRoute(path).name;
  return name === 'share' || name === 'embed';
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
