/**
 * The shapes of the gateway's HTTP API that clients read (sessions and share links), and their parsers, so
 * that the server that writes them and the clients that read them agree by construction.
 */
import { isFiniteNumber, isObject, isOneOf } from './guards.js';

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
  /** The container when the link was made, and its host (absent for links made before hosts were named). */
  container: { host?: string; id: string; name: string };
  /** The link follows the container's name when it is re-created. */
  follow: boolean;
  /** ms since the epoch. */
  createdAt: number;
  expiresAt: number;
}

/** Parses a `GET /api/session` body; undefined when malformed. */
export function parseSessionInfo(v: unknown): SessionInfo | undefined {
  if (!isObject(v) || typeof v['required'] !== 'boolean' || typeof v['authenticated'] !== 'boolean') return undefined;
  return { required: v['required'], authenticated: v['authenticated'] };
}

/** Parses one share of `POST /api/shares` or `GET /api/shares`; undefined when malformed. */
export function parseShareInfo(v: unknown): ShareInfo | undefined {
  if (!isObject(v)) return undefined;
  const { id, url, token, container, follow, createdAt, expiresAt } = v;
  if (typeof id !== 'string' || typeof url !== 'string' || typeof token !== 'string' || typeof follow !== 'boolean') return undefined;
  if (!isFiniteNumber(createdAt) || !isFiniteNumber(expiresAt)) return undefined;
  if (!isObject(container) || typeof container['id'] !== 'string' || typeof container['name'] !== 'string') return undefined;
  const host = container['host'];
  if (host !== undefined && typeof host !== 'string') return undefined;
  return {
    id,
    url,
    token,
    container: { ...(host !== undefined ? { host } : {}), id: container['id'], name: container['name'] },
    follow,
    createdAt,
    expiresAt,
  };
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

/** Codes of the gateway's HTTP errors, the `error` of an `ApiError` body. */
export const HttpErrorCode = {
  /** The body or a parameter is not what the endpoint takes; `message` says what. */
  badRequest: 'bad_request',
  /** The body is not valid JSON. */
  badJson: 'bad_json',
  /** The body is not `application/json`. */
  unsupportedMediaType: 'unsupported_media_type',
  /** The body is larger than the endpoint takes. */
  tooLarge: 'too_large',
  /** No valid access token or session where one is required. */
  unauthorized: 'unauthorized',
  /** The credentials are valid but do not allow this (a share token on the admin API). */
  forbidden: 'forbidden',
  /** A state-changing request from an origin that is not allowed. */
  forbiddenOrigin: 'forbidden_origin',
  /** Without an access token the gateway answers only requests for a loopback host. */
  misdirected: 'misdirected',
  /** No such container, share or endpoint. */
  notFound: 'not_found',
  /** The endpoint does not take this method; `Allow` lists those it takes. */
  methodNotAllowed: 'method_not_allowed',
  /** The gateway holds as many share links as it keeps; revoke some first. */
  tooManyShares: 'too_many_shares',
  /** The gateway holds as many alert rules as it keeps; delete some first. */
  tooManyRules: 'too_many_rules',
  /** Too many attempts; wait before trying again. */
  rateLimited: 'rate_limited',
  /** The gateway, or the caller's address, holds as many connections as it may; the connection is closed. */
  tooManyConnections: 'too_many_connections',
  /** The gateway failed; the request may be retried. */
  internalError: 'internal_error',
  /** The change took effect but could not be saved yet; the gateway keeps trying (a revocation). */
  notSaved: 'not_saved',
  /** What the request needs (the message bus) cannot be reached now; try again later. */
  unavailable: 'unavailable',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** The body of every HTTP error the gateway sends. */
export interface ApiError {
  error: HttpErrorCode;
  message: string;
}

const HTTP_ERROR_CODES: readonly HttpErrorCode[] = Object.values(HttpErrorCode);

/** Parses an HTTP error body; undefined when it is not one. */
export function parseApiError(v: unknown): ApiError | undefined {
  if (!isObject(v) || !isOneOf(HTTP_ERROR_CODES, v['error']) || typeof v['message'] !== 'string') return undefined;
  return { error: v['error'], message: v['message'] };
}
