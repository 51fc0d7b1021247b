import type { ContainerSummary } from '@dockpulse/shared';
import type { Hub } from '../hub/hub.js';
import { topicKey } from '../hub/hub.js';

/** A list of containers that says when it changes: a host set, or one host's directory. */
interface ContainerLists {
  all(): ContainerSummary[];
  onChange(fn: () => void): () => void;
}

/**
 * Keeps every container of the lists (every host's, or one host's) open in the hub, watched or not, so that each is read and its recent
 * samples kept (for a page that opens it, for history, alerts and metrics, for an agent that publishes them
 * all). A container is let go when it leaves its host's list. Returns the function that lets go of all.
 */
export function pinEveryContainer(hosts: ContainerLists, hub: Hub): () => void {
  const pins = new Map<string, () => void>();
  const follow = (): void => {
    const listed = new Set<string>();
    for (const c of hosts.all()) {
      const key = topicKey(c.host, c.id);
      listed.add(key);
      if (!pins.has(key)) pins.set(key, hub.pin(c.host, c.id));
    }
    for (const [key, unpin] of pins) {
      if (listed.has(key)) continue;
      unpin();
      pins.delete(key);
    }
  };
  const off = hosts.onChange(follow);
  follow();
  return () => {
    off();
    for (const unpin of pins.values()) unpin();
    pins.clear();
  };
}
