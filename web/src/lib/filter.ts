/** The overview's text filter. */
import type { ContainerSummary } from '@dockpulse/shared';

/**
 * True when every whitespace-separated word of `query` occurs, ignoring case, in the container's name, image,
 * compose project or service, or its state, or starts its id. An empty query matches everything.
 */
export function matchesQuery(c: ContainerSummary, state: string, query: string): boolean {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return true;
  const haystack = [c.name, c.image, c.compose?.project ?? '', c.compose?.service ?? '', state].join('\n').toLowerCase();
  return words.every((w) => haystack.includes(w) || c.id.startsWith(w));
}
