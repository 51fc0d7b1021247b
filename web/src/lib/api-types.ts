/** The gateway's HTTP API as the dashboard uses it: sessions and share links, parsed from `unknown`. */
import { isFiniteNumber, isObject } from '@dockpulse/shared';

/** `GET /api/session`: whether the dashboard must ask for the access token. */
export interface SessionInfo {
  required: boolean;
  authenticated: boolean;
}

/** A share link as `POST /api/shares` and `GET /api/shares` return it. */
export interface ShareInfo {
  id: string;
  /** The link to hand out: `<gateway>/s/<token>`. */
  url: string;
  token: string;
  /** The container when the link was made. */
  container: { id: string; name: string };
  /** The link follows the container's name when it is re-created. */
  follow: boolean;
  /** ms since the epoch. */
  createdAt: number;
  expiresAt: number;
}

/** Why an API call did not give what was asked. */
export type ApiError =
  /** The gateway could not be reached. */
  | { kind: 'network'; message: string }
  /** It answered with an error status; `code` and `message` are from its `{"error","message"}` body. */
  | { kind: 'http'; status: number; code: string; message: string }
  /** It answered 2xx with a body this client does not understand. */
  | { kind: 'bad_response'; message: string };

export function parseSessionInfo(v: unknown): SessionInfo | undefined {
  if (!isObject(v) || typeof v['required'] !== 'boolean' || typeof v['authenticated'] !== 'boolean') return undefined;
  return { required: v['required'], authenticated: v['authenticated'] };
}

export function parseShareInfo(v: unknown): ShareInfo | undefined {
  if (!isObject(v)) return undefined;
  const { id, url, token, container, follow, createdAt, expiresAt } = v;
  if (typeof id !== 'string' || typeof url !== 'string' || typeof token !== 'string' || typeof follow !== 'boolean') return undefined;
  if (!isFiniteNumber(createdAt) || !isFiniteNumber(expiresAt)) return undefined;
  if (!isObject(container) || typeof container['id'] !== 'string' || typeof container['name'] !== 'string') return undefined;
  return { id, url, token, container: { id: container['id'], name: container['name'] }, follow, createdAt, expiresAt };
}

/** `{"shares":[…]}`; undefined when it or any share is malformed. */
export function parseShareList(v: unknown): ShareInfo[] | undefined {
  if (!isObject(v) || !Array.isArray(v['shares'])) return undefined;
  const shares: ShareInfo[] = [];
  for (const s of v['shares']) {
    const share = parseShareInfo(s);
    if (!share) return undefined;
    shares.push(share);
  }
  return shares;
}

/** The `{"error","message"}` body of a failed request, as far as it is one. */
export function parseErrorBody(status: number, v: unknown): ApiError {
  const code = isObject(v) && typeof v['error'] === 'string' ? v['error'] : `http_${status}`;
  const message = isObject(v) && typeof v['message'] === 'string' ? v['message'] : `the gateway answered ${status}`;
  return { kind: 'http', status, code, message };
}

/** Shown to a person: what went wrong, in a sentence. */
export function describeApiError(e: ApiError): string {
  switch (e.kind) {
    case 'network':
      return 'Cannot reach the dockpulse gateway.';
    case 'http':
      return e.message.charAt(0).toUpperCase() + e.message.slice(1) + (e.message.endsWith('.') ? '' : '.');
    case 'bad_response':
      return `Unexpected answer from the gateway (${e.message}).`;
  }
}
