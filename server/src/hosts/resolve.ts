/**
 * Which container a stats topic or a share link names, among every host a gateway serves. The first version
 * of the protocol named a container by its full id alone; that still works wherever the id is on one host.
 */
import { ErrorCode, err, isContainerId, ok, type ContainerSummary, type Result, type Scope } from '@dockpulse/shared';
import type { ShareClaims } from '../auth/signed-token.js';
import type { HostSet } from './host-set.js';

/** A container on a host. */
export interface ContainerRef {
  host: string;
  id: string;
}

/** Why a topic names no container; `code` goes into the `error` frame. */
export interface ResolveError {
  code: typeof ErrorCode.notFound | typeof ErrorCode.badTopic;
  message: string;
}

/** True when a host's list can say that a container is not there: it answers and has been read. */
function listIsAuthoritative(hosts: HostSet, host: string): boolean {
  const list = hosts.get(host)?.containers;
  return list !== undefined && list.isReady && list.engineStatus.status === 'up';
}

/**
 * The container a stats topic names: `host` and `ref` (a full id or a name) as parsed from
 * `stats:<host>/<ref>`, or `host` undefined for `stats:<id>`. A container a host does not list is not found
 * while the host answers; while it does not, an id is taken on trust (its topic says `unavailable` until the
 * host answers), but a name cannot be resolved.
 */
export function resolveStatsTopic(hosts: HostSet, host: string | undefined, ref: string): Result<ContainerRef, ResolveError> {
  if (host === undefined) {
    const found = hosts.hostsWithId(ref);
    if (found.length === 1) return ok({ host: found[0]!, id: ref });
    if (found.length > 1) {
      return err({ code: ErrorCode.badTopic, message: `the id is on several hosts (${found.join(', ')}): name one, "stats:<host>/<id>"` });
    }
    // The first version's form on a gateway of one host means that host, as it always did.
    const only = hosts.sources();
    if (only.length === 1 && !listIsAuthoritative(hosts, only[0]!.host)) return ok({ host: only[0]!.host, id: ref });
    return err({ code: ErrorCode.notFound, message: 'no such container' });
  }
  if (!hosts.get(host)) return err({ code: ErrorCode.notFound, message: `no host "${host}"` });
  if (isContainerId(ref)) {
    if (listIsAuthoritative(hosts, host) && !hosts.find(host, ref)) return err({ code: ErrorCode.notFound, message: 'no such container' });
    return ok({ host, id: ref });
  }
  const byName = hosts.findByName(host, ref);
  if (byName) return ok({ host, id: byName.id });
  return err({
    code: ErrorCode.notFound,
    message: listIsAuthoritative(hosts, host)
      ? 'no such container'
      : `host "${host}" does not answer, so names cannot be looked up: use the id`,
  });
}

/**
 * The container a share link shows now. A link shows the container it was made for while that container
 * exists, under whatever name it has now: renaming it away and another container to its name moves nothing.
 * Only a link that follows its name, and only once its own container is gone (removed), shows the container
 * that holds the name now on the same host: its re-creation. A link made before a gateway served several
 * hosts names no host: its container is looked for on all of them, else on `fallbackHost`.
 */
export function resolveShareScope(hosts: HostSet, claims: ShareClaims, fallbackHost: string): Extract<Scope, { kind: 'container' }> {
  const host = claims.host ?? hosts.hostsWithId(claims.cid)[0] ?? fallbackHost;
  const byId = hosts.find(host, claims.cid);
  if (byId) return { kind: 'container', host, id: byId.id, name: byId.name };
  if (claims.follow && claims.name !== undefined) {
    const current: ContainerSummary | undefined = hosts.findByName(host, claims.name);
    if (current) return { kind: 'container', host, id: current.id, name: current.name };
  }
  return { kind: 'container', host, id: claims.cid, name: claims.name ?? claims.cid.slice(0, 12) };
}

/** True when `c` is named by `ref` itself: its full id, or its name (with or without the leading `/`). */
export function namedBy(c: ContainerSummary, ref: string): boolean {
  return c.id === ref || c.name === ref.replace(/^\//, '');
}

/**
 * The containers among `all` that a reference names: those whose full id or name it is, or else, for 12 to 63
 * hex digits, those whose id it begins.
 */
export function matchContainers(all: readonly ContainerSummary[], ref: string): ContainerSummary[] {
  const exact = all.filter((c) => namedBy(c, ref));
  if (exact.length > 0 || !/^[0-9a-f]{12,63}$/.test(ref)) return exact;
  return all.filter((c) => c.id.startsWith(ref));
}
