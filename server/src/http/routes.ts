/**
 * Every plain HTTP request goes through here: the security headers, CORS and the host check, CSRF, then the
 * route: `/healthz`, `/api/session`, the operator's API and `/metrics` behind the auth gate, and the web app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { History } from '../history/history.js';
import { historyApi, isHistoryPath } from './history-api.js';
import { HttpErrorCode } from '@dockpulse/shared';
import type { Authenticator } from '../auth/authenticate.js';
import type { ShareStore } from '../auth/share-store.js';
import type { SessionStore } from '../auth/session-store.js';
import type { HostSet } from '../hosts/host-set.js';
import type { BusState } from '../bus/connection.js';
import type { BusRejections } from '../bus/bus-hosts.js';
import type { Logger } from '../log.js';
import type { Alerts } from '../alerts/alerts.js';
import { adminApi } from './admin-api.js';
import { admitOperator } from './auth-gate.js';
import { cors, misdirected } from './cross-origin.js';
import { cookieWithoutOrigin, foreignOrigin } from './csrf.js';
import { serveMetrics, type GatewayMetrics } from './metrics.js';
import { fail, header, json, methodNotAllowed } from './respond.js';
import { bearerToken, tokenMatches } from '../auth/token.js';
import { securityHeaders } from './security-headers.js';
import { endAllSessions, sessionApi } from './session-api.js';
import { serveStatic, type StaticFiles } from './static-files.js';

/** What the HTTP side needs. */
export interface HttpContext {
  hosts: HostSet;
  files: StaticFiles | undefined;
  auth: Authenticator;
  shares: ShareStore;
  /** Dashboard sessions ended early. */
  sessions: SessionStore;
  /** Origins allowed besides the gateway's own. */
  origins: readonly string[];
  /** Who may frame the embeddable and shared views (CSP frame-ancestors sources). */
  frameAncestors: readonly string[];
  /** The gateway's public base URL, for share links; else taken from the request. */
  publicUrl: string | undefined;
  /** Host names besides loopback that requests may name when no access token is set. */
  trustedHosts: readonly string[];
  /** What `/metrics` serves. */
  metrics: GatewayMetrics;
  /** A token that opens `/metrics` and nothing else. */
  metricsToken: string | undefined;
  /** The message bus, when the gateway has one: whether it answers, and what it refused. */
  bus: { state: () => BusState; rejected: () => BusRejections } | undefined;
  /** The history range queries are answered from. */
  history: History;
  /** The host an old share link (made before the gateway served several hosts) is taken to mean. */
  defaultHost: string;
  /** Alert rules, when the gateway keeps them. */
  alerts?: Alerts | undefined;
  log: Logger;
}

/** Handles every plain HTTP request. */
export function createRequestHandler(ctx: HttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  const session = sessionApi(ctx);
  return (req, res) => {
    handle(ctx, session, req, res).catch((e: unknown) => {
      ctx.log.error('request failed', {
        path: new URL(req.url ?? '/', 'http://x').pathname,
        error: e instanceof Error ? e.message : String(e),
      });
      if (!res.headersSent) fail(res, { status: 500, code: HttpErrorCode.internalError, message: 'internal error' });
      else res.destroy();
    });
  };
}

async function handle(
  ctx: HttpContext,
  session: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  securityHeaders(res, path, ctx.frameAncestors);
  if (cors(req, res, ctx.origins)) return;
  if (misdirected(req, ctx.auth.required, ctx.trustedHosts)) {
    return fail(res, {
      status: 421,
      code: HttpErrorCode.misdirected,
      message: 'without an access token this gateway only answers requests for a loopback host',
    });
  }
  const forged = foreignOrigin(req, ctx.origins);
  if (forged) return fail(res, forged);

  if (path === '/healthz') {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET');
    const health: Record<string, unknown> = { status: 'ok', docker: ctx.hosts.engineStatus().status };
    if (ctx.bus) {
      health['bus'] = ctx.bus.state().state;
      health['busRejected'] = ctx.bus.rejected();
    }
    return json(res, 200, health);
  }
  if (path === '/api/session') return session(req, res);
  // Before the operator's gate: a share link may read its own container's history.
  if (isHistoryPath(path))
    return historyApi({ history: ctx.history, hosts: ctx.hosts, auth: ctx.auth, defaultHost: ctx.defaultHost }, req, res, url);
  if (path === '/metrics' && method === 'GET' && scrapeToken(ctx, req)) return serveMetrics(res, ctx.metrics);
  if (path.startsWith('/api/') || path === '/metrics') {
    if (!admitOperator(ctx.auth, req, res)) return;
    const cookieOnly = cookieWithoutOrigin(req, ctx.auth.required);
    if (cookieOnly) return fail(res, cookieOnly);
    if (path === '/metrics') {
      if (method !== 'GET') return methodNotAllowed(res, 'GET');
      return serveMetrics(res, ctx.metrics);
    }
    if (path === '/api/sessions') return endAllSessions(ctx, req, res);
    return adminApi(ctx, req, res, path);
  }
  if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  return serveStatic(ctx.files, req, res, path);
}

/** True when the request carries the scrape token, which opens `/metrics` and nothing else. */
function scrapeToken(ctx: HttpContext, req: IncomingMessage): boolean {
  const token = bearerToken(header(req, 'authorization'));
  return ctx.metricsToken !== undefined && token !== undefined && tokenMatches(token, ctx.metricsToken);
}
