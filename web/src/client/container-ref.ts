/** Finding a container by what a person or an address calls it, among the containers of every host. */
import { isHostName, type ContainerSummary } from '@dockpulse/shared';

/** What a reference names: a container (`ref`: an id, a name or an id prefix), on one host or on any. */
export interface ContainerRef {
  /** The host it must be on; undefined for any host. */
  host: string | undefined;
  ref: string;
}

/**
 * Splits `<host>/<ref>` into its host and reference; anything else is a reference on any host. A container
 * name has no slash, so the first one ends the host; `/web-1` (Docker's own spelling of a name) has none.
 */
export function parseContainerRef(target: string): ContainerRef {
  const slash = target.indexOf('/');
  if (slash > 0) {
    const host = target.slice(0, slash);
    const ref = target.slice(slash + 1);
    if (isHostName(host) && ref !== '') return { host, ref };
  }
  return { host: undefined, ref: target };
}

/** `<host>/<ref>`, or `ref` alone when no host is given. */
export function formatContainerRef(host: string | undefined, ref: string): string {
  return host === undefined ? ref : `${host}/${ref}`;
}

type Candidate = Pick<ContainerSummary, 'host' | 'id' | 'name'>;

/**
 * Every container `ref` names on `host` (on any host when undefined), at the first rule that names any: its
 * full id, else its name (`/name` too), else a prefix of its id of at least four hex digits. More than one is
 * ambiguous: the same name on two hosts, or one engine reached as two hosts.
 */
export function matchContainers<T extends Candidate>(list: readonly T[], ref: string, host?: string): T[] {
  const on = host === undefined ? list : list.filter((c) => c.host === host);
  const byId = on.filter((c) => c.id === ref);
  if (byId.length > 0) return byId;
  const byName = on.filter((c) => c.name === ref || `/${c.name}` === ref);
  if (byName.length > 0) return byName;
  if (ref.length < 4 || !/^[0-9a-f]+$/.test(ref)) return [];
  return on.filter((c) => c.id.startsWith(ref));
}

/** The one container `ref` names on `host` (or on any host); undefined when none is, or several are. */
export function findContainer<T extends Candidate>(list: readonly T[], ref: string, host?: string): T | undefined {
  const found = matchContainers(list, ref, host);
  return found.length === 1 ? found[0] : undefined;
}

/** The key of a container on a host, unique across hosts: `<host>/<id>`, as in its stats topic. */
export function containerKey(c: Pick<ContainerSummary, 'host' | 'id'>): string {
  return `${c.host}/${c.id}`;
}
