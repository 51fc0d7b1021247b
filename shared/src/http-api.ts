/**
 * The shapes of the gateway's HTTP API that clients read (sessions and share links), and their parsers, so
 * that the server that writes them and the clients that read them agree by construction.
 */
import { isFiniteNumber, isObject } from './guards.js';

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
