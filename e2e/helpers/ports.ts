/** Fixed ports of the e2e run: the shared server (Playwright's webServer) and the ones single tests own. */
export const PORT = Number(process.env['DPE2E_PORT'] ?? 18080);
export const RESTART_PORT = PORT + 1;
/** The server of the engine-outage test, which reaches Docker through a socket it can cut. */
export const OUTAGE_PORT = PORT + 2;
export const BASE_URL = `http://127.0.0.1:${PORT}`;
/** The server of the subscription-limit test, started with a small `DOCKPULSE_MAX_SUBSCRIPTIONS`. */
export const LIMITED_PORT = PORT + 3;
/** The server of the share-link test, started with an access token (`DOCKPULSE_TOKEN`). */
export const AUTH_PORT = PORT + 4;
/** The gateway of the embed example, which allows the example page's origin. */
export const EMBED_GATEWAY_PORT = PORT + 5;
/** A plain HTTP server for docs/examples/embed.html: another origin than the gateway's. */
export const EMBED_PAGE_PORT = PORT + 6;
/** The gateway of the hosts test: its local engine and an agent's host heard on its own nats-server. */
export const HOSTS_PORT = PORT + 7;
/** The gateway of the history test, stopped and started again on a state directory of its own. */
export const HISTORY_PORT = PORT + 8;
/** A gateway that keeps no history on disk. */
export const NO_HISTORY_PORT = PORT + 9;
