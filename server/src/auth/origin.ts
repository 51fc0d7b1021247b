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

/**
 * Whether a `Host` header names this machine's loopback (or one of `extra`, e.g. the public URL's host).
 * Without an access token the gateway trusts whoever reaches it on loopback; a page on another domain that
 * resolves to 127.0.0.1 (DNS rebinding) reaches it too, but its requests carry that domain as Host.
 */
export function loopbackHost(host: string | undefined, extra: readonly string[] = []): boolean {
  if (host === undefined) return false;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)) return true;
  return extra.some((h) => h.toLowerCase() === hostname);
}
