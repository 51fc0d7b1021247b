/** `/api/alerts`: the operator's alert rules. Reached only through the auth gate. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ALERT_LIMITS, HttpErrorCode, parseAlertRule } from '@dockpulse/shared';
import type { Alerts } from '../alerts/alerts.js';
import type { Logger } from '../log.js';
import { readJsonBody } from './body.js';
import { fail, json, methodNotAllowed, noContent } from './respond.js';

const RULE_PATH = /^\/api\/alerts\/([A-Za-z0-9_-]{1,64})$/;

/** True for the paths this file answers. */
export function isAlertsPath(path: string): boolean {
  return path === '/api/alerts' || path.startsWith('/api/alerts/');
}

/** Answers one request under `/api/alerts`. */
export async function alertsApi(
  alerts: Alerts | undefined,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  if (!alerts)
    return fail(res, { status: 503, code: HttpErrorCode.unavailable, message: 'alerts are off: their database could not be opened' });
  const method = req.method ?? 'GET';
  if (path === '/api/alerts') {
    if (method === 'GET') return json(res, 200, { rules: alerts.list() });
    if (method !== 'POST') return methodNotAllowed(res, 'GET, POST');
    const body = await readJsonBody(req, ALERT_LIMITS.maxBodyBytes);
    if (!body.ok) return fail(res, body.error);
    const rule = parseAlertRule(body.value);
    if (!rule.ok) return fail(res, { status: 400, code: HttpErrorCode.badRequest, message: rule.error });
    const created = alerts.create(rule.value);
    if (created === 'full') return fail(res, { status: 409, code: HttpErrorCode.tooManyRules, message: 'delete some alert rules first' });
    log.info('alert rule created', { rule: created.id, metric: created.metric });
    return json(res, 201, created);
  }
  const m = RULE_PATH.exec(path);
  if (!m) return fail(res, { status: 404, code: HttpErrorCode.notFound, message: `no API endpoint ${path}` });
  if (method === 'GET') {
    const rule = alerts.get(m[1]!);
    return rule ? json(res, 200, rule) : fail(res, { status: 404, code: HttpErrorCode.notFound, message: 'no such alert rule' });
  }
  if (method !== 'DELETE') return methodNotAllowed(res, 'GET, DELETE');
  if (!alerts.remove(m[1]!)) return fail(res, { status: 404, code: HttpErrorCode.notFound, message: 'no such alert rule' });
  log.info('alert rule deleted', { rule: m[1]! });
  return noContent(res);
}
