import { assertNever, type ContainerState, type TopicState } from '@dockpulse/shared';
import type { ContainerDirectory } from './container-list.js';

/** What a stats source reads of the container list to know a container's state. */
export type ContainerListView = Pick<ContainerDirectory, 'engineStatus' | 'isReady' | 'isSettled' | 'get' | 'onChange'>;

/** What a subscriber sees of the engine's container state. */
export function topicStateOf(state: ContainerState): TopicState {
  switch (state) {
    case 'running':
      return 'running';
    case 'paused':
      return 'paused';
    case 'created':
    case 'restarting':
    case 'removing':
    case 'exited':
    case 'dead':
      return 'stopped';
    default:
      return assertNever(state);
  }
}

/**
 * The topic state the live container list implies for one container: `unavailable` while the engine is
 * down, `removed` when the list no longer has it, else its own state. Undefined until the first attempt to
 * reach the engine has settled, so that nobody is told `unavailable` while the gateway is still starting.
 */
export function listStateOf(list: ContainerListView, id: string): TopicState | undefined {
  if (!list.isSettled) return undefined;
  if (list.engineStatus.status === 'down') return 'unavailable';
  if (!list.isReady) return undefined;
  const c = list.get(id);
  return c ? topicStateOf(c.state) : 'removed';
}
