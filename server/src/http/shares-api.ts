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

/** One label of a DNS name: letters, digits and inner hyphens. */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

/** A `Host` header a link may be built from: a DNS name or IPv4 address, or a bracketed IPv6 address, and a port. */
const LINK_HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]{2,45}\\])(?::(\\d{1,5}))?$`);

/**
 * The base of the links the gateway hands out: the public URL when one is configured, else the request's own
 * origin, built from its `Host` only when that is a host name and port and nothing more. A `Host` such as
 * `evil.example/#` would otherwise make a link that opens another site.
 */
export function linkBase(
  publicUrl: string | undefined,
  host: string | undefined,
  forwardedProto: string | undefined,
): Result<string, HttpError> {
  if (publicUrl !== undefined) return ok(publicUrl);
  const m = host !== undefined && host.length <= 260 ? LINK_HOST.exec(host) : null;
  if (!m || (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535))) {
    return err({
      status: 400,
      code: HttpErrorCode.badRequest,
      message: "the request's Host header is not a host name and port, so no link can be made from it: set DOCKPULSE_PUBLIC_URL",
    });
  }
  return ok(`${forwardedProto === 'https' ? 'https' : 'http'}://${host!.toLowerCase()}`);
}
