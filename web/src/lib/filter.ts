/** The overview's text filter. */
import type { ContainerSummary } from '@dockpulse/shared';

/** The word that names a host in the filter: `host:<name>`. */
export const HOST_FILTER_PREFIX = 'host:';

/** A filter query split into its words and the hosts it names. */
export interface ParsedQuery {
  /** Words to find, lower-cased. */
  words: string[];
  /** Hosts named by `host:<name>`, lower-cased; empty for any host. */
  hosts: string[];
}

/** Splits a query at whitespace; `host:<name>` words name hosts (a bare `host:`, half typed, names none). */
export function parseQuery(query: string): ParsedQuery {
  const words: string[] = [];
  const hosts: string[] = [];
  for (const w of query.toLowerCase().split(/\s+/)) {
    if (w === '') continue;
    if (!w.startsWith(HOST_FILTER_PREFIX)) words.push(w);
    else if (w.length > HOST_FILTER_PREFIX.length) hosts.push(w.slice(HOST_FILTER_PREFIX.length));
  }
  return { words, hosts };
}

/**
 * True when the container is on one of the hosts the query names with `host:<name>` (any host when it names
 * none; the name whole, ignoring case), and every other whitespace-separated word occurs, ignoring case, in
 * its name, image, compose project or service, or its state, or starts its id. An empty query matches
 * everything.
 */
export function matchesQuery(c: ContainerSummary, state: string, query: string): boolean {
  const { words, hosts } = parseQuery(query);
  if (hosts.length > 0 && !hosts.includes(c.host.toLowerCase())) return false;
  if (words.length === 0) return true;
  const haystack = [c.name, c.image, c.compose?.project ?? '', c.compose?.service ?? '', state].join('\n').toLowerCase();
  return words.every((w) => haystack.includes(w) || c.id.startsWith(w));
}
