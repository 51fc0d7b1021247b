/**
 * Calls to the gateway's HTTP API from the dashboard's own page. The session cookie authenticates them
 * (HttpOnly: this script never sees it), and the browser adds the page's Origin to POST and DELETE, which
 * the gateway checks against cross-site requests.
 */
import { err, ok, parseAlertRuleList, parseAlertRuleView, type AlertRuleInput, type AlertRuleView, type Result } from '@dockpulse/shared';
import {
  parseErrorBody,
  parseSessionInfo,
  parseShareInfo,
  parseShareList,
  type ApiError,
  type SessionInfo,
  type ShareInfo,
} from './api-types.js';

/** What `POST /api/shares` takes. */
export interface ShareRequest {
  /** Full container id (or name). */
  container: string;
  /** Its host: needed where the id or name is on several hosts. */
  host?: string;
  /** 60 s to 30 days. */
  ttlSeconds: number;
  /** Follow the container's name when it is re-created. */
  follow: boolean;
}

/** Shortest and longest lifetime of a share link, as the gateway accepts them. */
export const SHARE_TTL_LIMITS = { minSeconds: 60, maxSeconds: 30 * 24 * 3600 } as const;

async function call<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body: unknown,
  parse: (v: unknown) => T | undefined,
): Promise<Result<T, ApiError>> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    return err({ kind: 'network', message: e instanceof Error ? e.message : String(e) });
  }
  let json: unknown;
  if (res.status !== 204) {
    try {
      json = await res.json();
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) return err(parseErrorBody(res.status, json));
  const value = parse(json);
  return value === undefined ? err({ kind: 'bad_response', message: `${method} ${path}` }) : ok(value);
}

/** Whether the dashboard must ask for the access token. */
export function getSession(): Promise<Result<SessionInfo, ApiError>> {
  return call('GET', '/api/session', undefined, parseSessionInfo);
}

/** Logs in with the access token: the gateway answers with the session cookie. */
export function logIn(token: string): Promise<Result<SessionInfo, ApiError>> {
  return call('POST', '/api/session', { token }, parseSessionInfo);
}

/** Ends this browser's session: its cookie is cleared and no longer opens anything. */
export function logOut(): Promise<Result<true, ApiError>> {
  return call('DELETE', '/api/session', undefined, () => true as const);
}

/** Ends every session of the gateway, this one too ("log out everywhere"); share links are untouched. */
export function logOutEverywhere(): Promise<Result<true, ApiError>> {
  return call('DELETE', '/api/sessions', undefined, () => true as const);
}

/** The share links not yet expired or revoked, newest first. */
export function listShares(): Promise<Result<ShareInfo[], ApiError>> {
  return call('GET', '/api/shares', undefined, parseShareList);
}

export function createShare(req: ShareRequest): Promise<Result<ShareInfo, ApiError>> {
  const body: Record<string, unknown> = { container: req.container, ttlSeconds: req.ttlSeconds };
  if (req.host !== undefined) body['host'] = req.host;
  if (req.follow) body['follow'] = 'name';
  return call('POST', '/api/shares', body, parseShareInfo);
}

/** Revokes a link: its open views are closed within a second. */
export function revokeShare(id: string): Promise<Result<true, ApiError>> {
  return call('DELETE', `/api/shares/${encodeURIComponent(id)}`, undefined, () => true as const);
}

/** Every alert rule, with its live state per container and its last deliveries. */
export function listAlertRules(): Promise<Result<AlertRuleView[], ApiError>> {
  return call('GET', '/api/alerts', undefined, parseAlertRuleList);
}

/** Adds a rule (parsed beforehand with `parseAlertRule`, as the gateway parses it). */
export function createAlertRule(rule: AlertRuleInput): Promise<Result<AlertRuleView, ApiError>> {
  return call('POST', '/api/alerts', rule, parseAlertRuleView);
}

export function deleteAlertRule(id: string): Promise<Result<true, ApiError>> {
  return call('DELETE', `/api/alerts/${encodeURIComponent(id)}`, undefined, () => true as const);
}
