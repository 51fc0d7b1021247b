/** The operator's API: the container list and share links. Reached only through the auth gate. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpErrorCode } from '@dockpulse/shared';
import type { ShareStore } from '../auth/share-store.js';
import type { HostSet } from '../hosts/host-set.js';
import type { Logger } from '../log.js';
import { readJsonBody } from './body.js';
import { fail, header, json, methodNotAllowed, noContent } from './respond.js';
import { findContainer, linkBase, parseShareRequest, shareView } from './shares-api.js';
import type { Alerts } from '../alerts/alerts.js';
import { alertsApi, isAlertsPath } from './alerts-api.js';

/** Largest request body accepted. */
const MAX_BODY_BYTES = 16 * 1024;

const SHARE_PATH = /^\/api\/shares\/([A-Za-z0-9_-]{1,64})$/;

export interface AdminApiContext {
  hosts: HostSet;
  shares: ShareStore;
  /** The gateway's public base URL, for share links; else taken from the request. */
  publicUrl: string | undefined;
  /** Alert rules, when the gateway keeps them. */
  alerts?: Alerts | undefined;
  log: Logger;
}

/** Answers one admin API request under `/api/`. */
export async function adminApi(ctx: AdminApiContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  if (path === '/api/containers') {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    return json(res, 200, { containers: ctx.hosts.all() });
  }
  if (path === '/api/hosts') {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    return json(res, 200, { hosts: ctx.hosts.hosts() });
  }
  if (isAlertsPath(path)) return alertsApi(ctx.alerts, ctx.log, req, res, path);
  if (path === '/api/shares') {
    const linked = linkBase(ctx.publicUrl, header(req, 'host'), header(req, 'x-forwarded-proto'));
    if (!linked.ok) return fail(res, linked.error);
    const base = linked.value;
    if (method === 'GET') {
      return json(res, 200, { shares: ctx.shares.active().map((s) => shareView(s, ctx.shares.tokenOf(s), base)) });
    }
    if (method !== 'POST') return methodNotAllowed(res, 'GET, POST');
    const body = await readJsonBody(req, MAX_BODY_BYTES);
    if (!body.ok) return fail(res, body.error);
    const request = parseShareRequest(body.value);
    if (!request.ok) return fail(res, request.error);
    const { host, container: ref } = request.value;
    if (host !== undefined && !ctx.hosts.get(host))
      return fail(res, { status: 404, code: HttpErrorCode.notFound, message: `no host "${host}"` });
    const candidates = host === undefined ? ctx.hosts.all() : ctx.hosts.all().filter((c) => c.host === host);
    const found = findContainer(candidates, ref);
    if (found === 'ambiguous') {
      return fail(res, { status: 400, code: HttpErrorCode.badRequest, message: `"${ref}" is on several hosts: add "host"` });
    }
    if (!found) return fail(res, { status: 404, code: HttpErrorCode.notFound, message: `no container "${ref}"` });
    const container = found;
    let created: Awaited<ReturnType<ShareStore['create']>>;
    try {
      created = await ctx.shares.create(container, request.value.ttlSeconds * 1000, request.value.follow);
    } catch (e) {
      ctx.log.warn('share not created', { error: e instanceof Error ? e.message : String(e) });
      return fail(res, {
        status: 503,
        code: HttpErrorCode.unavailable,
        message: `the link could not be saved: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
    if (created === 'full') return fail(res, { status: 409, code: HttpErrorCode.tooManyShares, message: 'revoke some shares first' });
    ctx.log.info('share created', { share: created.share.id, container: container.id, expiresAt: created.share.expiresAt });
    return json(res, 201, shareView(created.share, created.token, base));
  }
  const m = SHARE_PATH.exec(path);
  if (m) {
    if (method !== 'DELETE') return methodNotAllowed(res, 'DELETE');
    const revoked = await ctx.shares.revoke(m[1]!);
    if (revoked === 'none') return fail(res, { status: 404, code: HttpErrorCode.notFound, message: 'no such active share' });
    if (revoked === 'unsaved') {
      ctx.log.error('share revoked but not saved; retrying', { share: m[1]! });
      return fail(res, {
        status: 503,
        code: HttpErrorCode.notSaved,
        message: 'revoked on this gateway and its live views closed, but not yet saved: it is retried until it is',
      });
    }
    ctx.log.info('share revoked', { share: m[1]! });
    return noContent(res);
  }
  return fail(res, { status: 404, code: HttpErrorCode.notFound, message: `no API endpoint ${path}` });
}
