/** Finding a container by what a person or an address calls it. */
import type { ContainerSummary } from '@dockpulse/shared';

/** The container `ref` names: a full id, else a name, else a unique id prefix of at least four characters. */
export function findContainer<T extends Pick<ContainerSummary, 'id' | 'name'>>(list: readonly T[], ref: string): T | undefined {
  const exact = list.find((c) => c.id === ref) ?? list.find((c) => c.name === ref || `/${c.name}` === ref);
  if (exact) return exact;
  if (ref.length < 4 || !/^[0-9a-f]+$/.test(ref)) return undefined;
  const prefixed = list.filter((c) => c.id.startsWith(ref));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
