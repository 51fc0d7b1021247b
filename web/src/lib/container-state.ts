/** What the dashboard calls a container's state, from Docker's list and the stats topic's own state. */
import type { ContainerSummary, TopicState } from '@dockpulse/shared';

export type DisplayState =
  'unhealthy' | 'restarting' | 'unavailable' | 'running' | 'paused' | 'created' | 'removing' | 'stopped' | 'removed';

/** Sort order of states, ascending: the ones needing attention first, the gone ones last. */
const RANK: Readonly<Record<DisplayState, number>> = {
  unhealthy: 0,
  restarting: 1,
  unavailable: 2,
  running: 3,
  paused: 4,
  created: 5,
  removing: 6,
  stopped: 7,
  removed: 8,
};

/** Colour family of a state's badge. */
export type Tone = 'ok' | 'warn' | 'bad' | 'muted';

const TONE: Readonly<Record<DisplayState, Tone>> = {
  unhealthy: 'bad',
  restarting: 'warn',
  unavailable: 'warn',
  running: 'ok',
  paused: 'warn',
  created: 'muted',
  removing: 'muted',
  stopped: 'muted',
  removed: 'muted',
};

export interface StateView {
  state: DisplayState;
  rank: number;
  tone: Tone;
  /**
   * Not running, or on a host that does not answer: its figures show as missing rather than as stale numbers.
   * Hidden by "hide stopped", except `unavailable`, whose container may well be running.
   */
  down: boolean;
}

/**
 * Combines Docker's list entry with the stats topic's state. `topic` is whichever arrived after the list
 * entry last changed (the caller clears it when the list changes), so the fresher of the two wins. While the
 * container's host does not answer (`hostDown`), what is known of it is its last state, so it is `unavailable`.
 */
export function displayState(summary: ContainerSummary | undefined, topic: TopicState | null, hostDown = false): StateView {
  return view(pick(summary, topic, hostDown));
}

/**
 * The state from the stats topic alone, for a view that cannot see the container list (a share link's). Null
 * until the topic has said, and while the engine is unavailable (which says nothing about the container).
 */
export function topicDisplayState(topic: TopicState | null): StateView | null {
  switch (topic) {
    case 'running':
    case 'paused':
    case 'stopped':
    case 'removed':
      return view(topic);
    case 'unavailable':
    case null:
      return null;
  }
}

function pick(summary: ContainerSummary | undefined, topic: TopicState | null, hostDown: boolean): DisplayState {
  if (!summary || topic === 'removed') return 'removed';
  if (hostDown) return 'unavailable';
  if (topic === 'stopped') return 'stopped';
  if (topic === 'paused') return 'paused';
  const unhealthy = summary.health === 'unhealthy';
  if (topic === 'running') return unhealthy ? 'unhealthy' : 'running';
  switch (summary.state) {
    case 'running':
      return unhealthy ? 'unhealthy' : 'running';
    case 'restarting':
      return 'restarting';
    case 'paused':
      return 'paused';
    case 'created':
      return 'created';
    case 'removing':
      return 'removing';
    case 'exited':
    case 'dead':
      return 'stopped';
  }
}

function view(state: DisplayState): StateView {
  return {
    state,
    rank: RANK[state],
    tone: TONE[state],
    down: state === 'stopped' || state === 'created' || state === 'removed' || state === 'removing' || state === 'unavailable',
  };
}
