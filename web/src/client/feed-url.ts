/** Where the feed's WebSocket is, from the address of the gateway that serves it. */

/** The feed's WebSocket address on the gateway that served this page. */
export function feedUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}

/** `http(s)://host[:port]` → `ws(s)://host[:port]/ws`; a `ws(s)://` address as it is. */
export function feedUrlOf(url: string): string {
  const u = new URL(url);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (u.pathname === '/' || u.pathname === '') u.pathname = '/ws';
  }
  return u.toString();
}
