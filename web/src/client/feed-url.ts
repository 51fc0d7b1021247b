/** The feed's WebSocket address on the gateway that served this page. */
export function feedUrl(loc: { protocol: string; host: string }): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
}
