/**
 * Whether a request's `Origin` may use the gateway. A request without one does not come from a browser page
 * and cannot be a cross-site request; a browser's request must come from the gateway's own origin (its Host
 * header) or one configured explicitly.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (host !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.host === host.toLowerCase()) {
    return true;
  }
  return allowed.includes(url.origin);
}
