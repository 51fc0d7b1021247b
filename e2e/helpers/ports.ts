/** Fixed ports of the e2e run: the shared server (Playwright's webServer) and the ones single tests own. */
export const PORT = Number(process.env['DPE2E_PORT'] ?? 18080);
export const RESTART_PORT = PORT + 1;
/** The server of the engine-outage test, which reaches Docker through a socket it can cut. */
export const OUTAGE_PORT = PORT + 2;
export const BASE_URL = `http://127.0.0.1:${PORT}`;
/** The server of the subscription-limit test, started with a small `DOCKPULSE_MAX_SUBSCRIPTIONS`. */
export const LIMITED_PORT = PORT + 3;
