import { HttpErrorCode, err, isHostName, isObject, ok, type ContainerSummary, type Result, type ShareInfo } from '@dockpulse/shared';
import type { Share } from '../auth/share-store.js';
import { matchContainers, namedBy } from '../hosts/resolve.js';
import type { HttpError } from './respond.js';

/** Shortest and longest lifetime of a share link. */
export const SHARE_TTL_LIMITS = { minSeconds: 60, maxSeconds: 30 * 24 * 3600 } as const;

/** A valid `POST /api/shares` body. */
export interface ShareRequest {
  /** Full id, unique id prefix (12+ characters) or name. */
  container: string;
  /** The container's host; needed only where the reference matches containers on several. */
  host?: string;
  ttlSeconds: number;
  follow: boolean;
}

/** Parses a `POST /api/shares` body. */
export function parseShareRequest(raw: unknown): Result<ShareRequest, HttpError> {
  const bad = (message: string) => err({ status: 400, code: HttpErrorCode.badRequest, message });
  if (!isObject(raw)) return bad('the body must be a JSON object');
  const { container, host, ttlSeconds, follow } = raw;
  if (typeof container !== 'string' || container.length === 0 || container.length > 128) {
    return bad('"container" must be a container id or name');
  }
  if (
    typeof ttlSeconds !== 'number' ||
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < SHARE_TTL_LIMITS.minSeconds ||
    ttlSeconds > SHARE_TTL_LIMITS.maxSeconds
  ) {
    return bad(`"ttlSeconds" must be a whole number from ${SHARE_TTL_LIMITS.minSeconds} to ${SHARE_TTL_LIMITS.maxSeconds}`);
  }
  if (follow !== undefined && follow !== 'name') return bad('"follow" may only be "name"');
  if (host !== undefined && (typeof host !== 'string' || !isHostName(host))) return bad('"host" must be a host name');
  return ok({ container, ttlSeconds, follow: follow === 'name', ...(host !== undefined ? { host } : {}) });
}

/**
 * Finds a container by full id, name, or an unambiguous id prefix of 12 or more characters; `ambiguous` when
 * the name or id is that of containers on several hosts.
 */
export function findContainer(all: readonly ContainerSummary[], ref: string): ContainerSummary | 'ambiguous' | undefined {
  const matches = matchContainers(all, ref);
  if (matches.length === 1) return matches[0];
  // Several by full id or name is ambiguous; several by a prefix is no match at all.
  return matches.length > 1 && namedBy(matches[0]!, ref) ? 'ambiguous' : undefined;
}

/** The API's view of a share; `token` is re-signed from its claims (tokens are not stored). */
export function shareView(share: Share, token: string, baseUrl: string): ShareInfo {
  return {
    id: share.id,
    url: `${baseUrl}/s/${token}`,
    token,
    container: { id: share.container, name: share.name, ...(share.host !== undefined ? { host: share.host } : {}) },
    follow: share.follow,
    createdAt: share.createdAt,
    expiresAt: share.expiresAt,
  };
}
