/**
 * `GET /api/containers/[<host>/]<ref>/history?from=<ms>&to=<ms>[&step=<s>][&metrics=cpu,mem]`: a container's
 * stored history, for the operator and for a share link's own container.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTAINER_NAME, HttpErrorCode, MAX_SHARED_HISTORY_POINTS, isContainerId, isHostName, parseHistorySearch } from '@dockpulse/shared';
import type { Authenticator } from '../auth/authenticate.js';
import type { History } from '../history/history.js';
import type { HostSet } from '../hosts/host-set.js';
import { resolveShareScope } from '../hosts/resolve.js';
import { authenticateRequest, unauthorized } from './auth-gate.js';
import { fail, json, methodNotAllowed } from './respond.js';

const HISTORY_PATH = /^\/api\/containers\/(?:([^/]{1,64})\/)?([^/]{1,200})\/history$/;

export interface HistoryApiContext {
  history: History;
  hosts: HostSet;
  auth: Authenticator;
  /** The host an old share link (made before the gateway served several hosts) is taken to mean. */
  defaultHost: string;
}

/** True when `path` is a history query's path. */
export function isHistoryPath(path: string): boolean {
  return HISTORY_PATH.test(path);
}

/** Answers a history query; the caller checked the path with `isHistoryPath`. */
export function historyApi(ctx: HistoryApiContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const method = req.method ?? 'GET';
  if (method !== 'GET') return methodNotAllowed(res, 'GET');
  const who = authenticateRequest(ctx.auth, req);
  if (!who.ok) return unauthorized(res, who.error);
  const [, host, ref] = HISTORY_PATH.exec(url.pathname)!;
  if ((host !== undefined && !isHostName(host)) || !(isContainerId(ref!) || CONTAINER_NAME.test(ref!))) {
    return fail(res, { status: 400, code: HttpErrorCode.badRequest, message: 'the path is /api/containers/[<host>/]<id or name>/history' });
  }
  const query = parseHistorySearch(url.searchParams);
  if (!query.ok) return fail(res, { status: 400, code: HttpErrorCode.badRequest, message: query.error.message });
  const found = ctx.history.find(host, ref!);
  if (who.value.kind === 'share') {
    // A share link reads its own container's history, and is told nothing about any other.
    const scope = resolveShareScope(ctx.hosts, who.value.claims, ctx.defaultHost);
    if (!found.ok || found.value.host !== scope.host || found.value.id !== scope.id) {
      return fail(res, { status: 403, code: HttpErrorCode.forbidden, message: "a share link only opens its own container's history" });
    }
  }
  if (!found.ok) {
    return fail(res, {
      status: found.error.status,
      code: found.error.status === 404 ? HttpErrorCode.notFound : HttpErrorCode.badRequest,
      message: found.error.message,
    });
  }
  // A share link's holder is anyone it was sent to: answers as large as the socket's, not the operator's.
  const range = ctx.history.range(found.value, query.value, who.value.kind === 'share' ? MAX_SHARED_HISTORY_POINTS : undefined);
  if (!range.ok) {
    return fail(res, {
      status: range.error.status,
      code: range.error.status === 503 ? HttpErrorCode.unavailable : HttpErrorCode.badRequest,
      message: range.error.message,
    });
  }
  res.setHeader('Cache-Control', 'no-store');
  return json(res, 200, range.value);
}
