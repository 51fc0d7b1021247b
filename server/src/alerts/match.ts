/** Which containers a rule applies to. */
import { globPattern, type AlertMatch, type AlertRule } from '@dockpulse/shared';

/** What a rule's match reads of a container. */
export interface ContainerFacts {
  host: string;
  id: string;
  name: string;
  /** Compose project. */
  project?: string | undefined;
  /** Its labels, where its host gives them (the engines this gateway reads; not agents on the bus). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** False when it has no memory limit of its own (its limit is the host's memory); unknown when undefined. */
  memoryLimited?: boolean | undefined;
}

const patterns = new WeakMap<AlertMatch, RegExp>();

/** True when every field of the rule's match holds for the container. */
export function matchesRule(rule: AlertRule, c: ContainerFacts): boolean {
  const m = rule.match;
  if (m.host !== undefined && m.host !== c.host) return false;
  if (m.project !== undefined && m.project !== c.project) return false;
  if (m.name !== undefined) {
    let pattern = patterns.get(m);
    if (!pattern) {
      pattern = globPattern(m.name);
      patterns.set(m, pattern);
    }
    if (!pattern.test(c.name)) return false;
  }
  if (m.label !== undefined) {
    const eq = m.label.indexOf('=');
    const key = eq < 0 ? m.label : m.label.slice(0, eq);
    const value = c.labels?.[key];
    if (value === undefined || (eq >= 0 && value !== m.label.slice(eq + 1))) return false;
  }
  return true;
}
