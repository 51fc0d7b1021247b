/**
 * Decides, for every rule and every container it matches, whether the rule is ok, pending or firing, from the
 * samples and lifecycle events it is fed and the clock it is given. No I/O: what fires or resolves is handed to
 * `emit`, whose caller delivers it.
 */
import {
  AVERAGED_METRICS,
  type AlertMetric,
  type AlertNotice,
  type AlertRule,
  type AlertStatus,
  type AlertTargetState,
  type Sample,
} from '@dockpulse/shared';
import type { LifecycleEvent } from '../source/source.js';
import { matchesRule, type ContainerFacts } from './match.js';

/**
 * How far back across the threshold an averaged figure must come before a firing alert resolves, as a share of
 * the threshold: a rule `cpu > 80` that fired resolves below 72, so a figure hovering at 80 does not flap.
 */
export const HYSTERESIS = 0.1;

/** A target that has had no sample for this long (its container stopped or went away) is dropped, and resolves if it fired. */
export const STALE_MS = 30_000;

/**
 * Buckets a window keeps at most: readings closer together than a 600th of the window share one, so that a
 * day's window holds 600 numbers per container rather than 86,400, at the cost of sliding in steps of 144 s.
 */
const MAX_BUCKETS = 600;

/** Slack on "the samples cover the window": readings a second apart cover 10 s from the first to the eleventh. */
const COVER_SLACK_MS = 500;

/** One rule for one container. */
interface Target {
  host: string;
  id: string;
  name: string;
  status: AlertStatus;
  since: number;
  value: number | null;
  /**
   * Averaged metrics: the readings of the window in buckets (each its first reading's time, the sum and the
   * count of its readings), oldest first, and when the run of readings began.
   */
  window: { t: number; sum: number; n: number }[];
  firstT: number | undefined;
  lastT: number;
  /** Counted metrics: when each event of the window happened. */
  events: number[];
  /** Level metrics: the level, and since when it has held. */
  level: number;
  levelSince: number;
  /** When it last fired, for the cooldown. */
  firedAt: number | undefined;
}

interface RuleEntry {
  rule: AlertRule;
  targets: Map<string, Target>;
}

/** What a container's events say about it, kept across rules. */
interface ContainerEvents {
  /** It died and has not started since: its next start is a restart. */
  died: boolean;
  exitCode: number;
  unhealthy: boolean;
}

const COUNTED: readonly AlertMetric[] = ['restarts', 'oom'];

/** Decides alert states; see the module comment. */
export class AlertEvaluator {
  private readonly rules = new Map<string, RuleEntry>();
  private readonly containers = new Map<string, ContainerEvents>();

  /** @param emit called with each firing and resolution, synchronously; it must not block */
  constructor(private readonly emit: (notice: AlertNotice) => void) {}

  /** Starts evaluating a rule (or replaces one of the same id, forgetting its state). */
  addRule(rule: AlertRule): void {
    this.rules.set(rule.id, { rule, targets: new Map() });
  }

  /** Stops evaluating a rule; nothing is emitted for its firing targets. */
  removeRule(id: string): void {
    this.rules.delete(id);
  }

  /**
   * Marks a rule firing for a container, as a gateway that restarts finds it in the store: it is not notified
   * again, and resolves when its condition no longer holds.
   */
  restoreFiring(ruleId: string, c: { host: string; id: string; name: string }, firedAt: number, value: number | null, now: number): void {
    const entry = this.rules.get(ruleId);
    if (!entry) return;
    const t = this.target(entry, c, now);
    t.status = 'firing';
    t.since = firedAt;
    t.firedAt = firedAt;
    t.value = value;
    // What made it fire is taken to hold until the events and lists say otherwise.
    if (COUNTED.includes(entry.rule.metric)) t.events = [firedAt];
    t.level = value ?? 0;
    t.levelSince = firedAt;
  }

  /** A container the list shows: its health and exit status seed the level metrics. */
  seen(c: ContainerFacts & { running: boolean; unhealthy: boolean; exitCode: number | undefined }, now: number): void {
    const events = this.eventsOf(c.host, c.id);
    events.unhealthy = c.unhealthy;
    if (!c.running && c.exitCode !== undefined) events.exitCode = c.exitCode;
    if (c.running) events.exitCode = 0;
    for (const entry of this.rules.values()) {
      const metric = entry.rule.metric;
      if ((metric !== 'unhealthy' && metric !== 'exited') || !matchesRule(entry.rule, c)) continue;
      const t = this.target(entry, c, now);
      this.setLevel(entry, t, this.levelOf(metric, events), now);
    }
  }

  /** One sample of a container. */
  sample(s: Sample, c: ContainerFacts): void {
    for (const entry of this.rules.values()) {
      if (!matchesRule(entry.rule, c)) continue;
      const t = this.target(entry, c, s.t);
      t.lastT = s.t;
      if (AVERAGED_METRICS.includes(entry.rule.metric)) this.averaged(entry, t, figureOf(entry.rule.metric, s, c), s.t);
    }
  }

  /** One lifecycle event of a container on `host`. */
  lifecycle(host: string, e: LifecycleEvent, c: ContainerFacts | undefined): void {
    const events = this.eventsOf(host, e.id);
    let counted: AlertMetric | undefined;
    switch (e.action) {
      case 'die':
        events.died = true;
        events.exitCode = e.exitCode ?? 0;
        events.unhealthy = false;
        break;
      case 'start':
        if (events.died) counted = 'restarts';
        events.died = false;
        events.exitCode = 0;
        break;
      case 'oom':
        counted = 'oom';
        break;
      case 'health':
        events.unhealthy = e.health === 'unhealthy';
        break;
      case 'destroy':
        this.forget(host, e.id, e.t);
        return;
      default:
        return;
    }
    const facts = c ?? { host, id: e.id, name: e.name };
    for (const entry of this.rules.values()) {
      const metric = entry.rule.metric;
      if (!matchesRule(entry.rule, facts)) continue;
      if (metric === counted) {
        const t = this.target(entry, facts, e.t);
        t.events.push(e.t);
        this.counted(entry, t, e.t);
      } else if (metric === 'unhealthy' || metric === 'exited') {
        this.setLevel(entry, this.target(entry, facts, e.t), this.levelOf(metric, events), e.t);
      }
    }
  }

  /** Moves time on: windows of counted events slide, levels that held long enough fire, silent targets go. */
  tick(now: number): void {
    for (const entry of this.rules.values()) {
      const { metric } = entry.rule;
      for (const [key, t] of entry.targets) {
        if (COUNTED.includes(metric)) this.counted(entry, t, now);
        else if (metric === 'unhealthy' || metric === 'exited') this.judgeLevel(entry, t, now);
        else if (now - t.lastT > STALE_MS) {
          if (t.status === 'firing') this.resolve(entry, t, null, now);
          entry.targets.delete(key);
        }
      }
    }
  }

  /** A rule's state for each container it has seen. */
  states(ruleId: string): AlertTargetState[] {
    const entry = this.rules.get(ruleId);
    if (!entry) return [];
    return [...entry.targets.values()]
      .map((t) => ({ host: t.host, id: t.id, name: t.name, state: t.status, value: t.value, since: t.since }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.host.localeCompare(b.host));
  }

  /** Every alert firing now; `time` is when each fired. */
  firing(): AlertNotice[] {
    const out: AlertNotice[] = [];
    for (const entry of this.rules.values()) {
      for (const t of entry.targets.values()) if (t.status === 'firing') out.push(this.notice(entry.rule, t, 'firing', t.value, t.since));
    }
    return out;
  }

  private averaged(entry: RuleEntry, t: Target, v: number | null | undefined, now: number): void {
    const { rule } = entry;
    const forMs = rule.for * 1000;
    // A reading without the figure (the first CPU reading after a gap) is passed over.
    if (v === undefined) return;
    if (v === null) {
      // No figure (no limit of its own for mem_percent): the rule does not apply, and a firing alert resolves.
      t.window = [];
      t.firstT = undefined;
      if (t.status === 'firing') this.resolve(entry, t, null, now);
      else this.setStatus(t, 'ok', now);
      t.value = null;
      return;
    }
    if (t.firstT === undefined || (t.window.length > 0 && now - t.window[t.window.length - 1]!.t > forMs)) {
      t.window = [];
      t.firstT = now;
    }
    const last = t.window[t.window.length - 1];
    if (last && now - last.t < forMs / MAX_BUCKETS) {
      last.sum += v;
      last.n++;
    } else t.window.push({ t: now, sum: v, n: 1 });
    while (t.window.length > 0 && t.window[0]!.t <= now - forMs) t.window.shift();
    let sum = 0;
    let n = 0;
    for (const b of t.window) {
      sum += b.sum;
      n += b.n;
    }
    const avg = sum / n;
    t.value = round(avg);
    const covered = now - t.firstT >= forMs - COVER_SLACK_MS;
    if (t.status === 'firing') {
      if (cleared(rule, avg)) this.resolve(entry, t, t.value, now);
      return;
    }
    if (covered && breached(rule, avg)) this.fire(entry, t, now);
    else this.setStatus(t, breached(rule, avg) || breached(rule, v) ? 'pending' : 'ok', now);
  }

  private counted(entry: RuleEntry, t: Target, now: number): void {
    const from = now - entry.rule.for * 1000;
    while (t.events.length > 0 && t.events[0]! <= from) t.events.shift();
    t.value = t.events.length;
    const holds = breached(entry.rule, t.value);
    if (t.status === 'firing') {
      if (!holds) this.resolve(entry, t, t.value, now);
    } else if (holds) this.fire(entry, t, now);
    else this.setStatus(t, 'ok', now);
  }

  private setLevel(entry: RuleEntry, t: Target, level: number, now: number): void {
    if (level !== t.level) {
      t.level = level;
      t.levelSince = now;
    }
    t.value = level;
    this.judgeLevel(entry, t, now);
  }

  private judgeLevel(entry: RuleEntry, t: Target, now: number): void {
    const holds = breached(entry.rule, t.level);
    if (t.status === 'firing') {
      if (!holds) this.resolve(entry, t, t.level, now);
    } else if (holds && now - t.levelSince >= entry.rule.for * 1000) this.fire(entry, t, now);
    else this.setStatus(t, holds ? 'pending' : 'ok', now);
  }

  private fire(entry: RuleEntry, t: Target, now: number): void {
    if (t.firedAt !== undefined && now - t.firedAt < entry.rule.cooldown * 1000) {
      // Held back by the cooldown: it fires when the cooldown ends if the condition still holds then.
      this.setStatus(t, 'pending', now);
      return;
    }
    t.firedAt = now;
    this.setStatus(t, 'firing', now);
    this.emit(this.notice(entry.rule, t, 'firing', t.value, now));
  }

  private resolve(entry: RuleEntry, t: Target, value: number | null, now: number): void {
    this.setStatus(t, 'ok', now);
    this.emit(this.notice(entry.rule, t, 'resolved', value, now));
  }

  private setStatus(t: Target, status: AlertStatus, now: number): void {
    if (t.status === status) return;
    t.status = status;
    t.since = now;
  }

  /** A container that was removed: its targets go, and those that fired resolve. */
  private forget(host: string, id: string, now: number): void {
    this.containers.delete(`${host}/${id}`);
    for (const entry of this.rules.values()) {
      const t = entry.targets.get(`${host}/${id}`);
      if (!t) continue;
      if (t.status === 'firing') this.resolve(entry, t, null, now);
      entry.targets.delete(`${host}/${id}`);
    }
  }

  private notice(rule: AlertRule, t: Target, state: AlertNotice['state'], value: number | null, time: number): AlertNotice {
    return {
      rule: { id: rule.id, name: rule.name },
      state,
      container: { host: t.host, id: t.id, name: t.name },
      metric: rule.metric,
      op: rule.op,
      value,
      threshold: rule.threshold,
      time,
    };
  }

  private target(entry: RuleEntry, c: { host: string; id: string; name: string }, now: number): Target {
    const key = `${c.host}/${c.id}`;
    let t = entry.targets.get(key);
    if (!t) {
      t = {
        host: c.host,
        id: c.id,
        name: c.name,
        status: 'ok',
        since: now,
        value: null,
        window: [],
        firstT: undefined,
        lastT: now,
        events: [],
        level: 0,
        levelSince: now,
        firedAt: undefined,
      };
      entry.targets.set(key, t);
    }
    t.name = c.name;
    return t;
  }

  private eventsOf(host: string, id: string): ContainerEvents {
    const key = `${host}/${id}`;
    let events = this.containers.get(key);
    if (!events) {
      events = { died: false, exitCode: 0, unhealthy: false };
      this.containers.set(key, events);
    }
    return events;
  }

  private levelOf(metric: 'unhealthy' | 'exited', events: ContainerEvents): number {
    return metric === 'unhealthy' ? (events.unhealthy ? 1 : 0) : events.exitCode;
  }
}

/**
 * The figure an averaged rule reads from a sample: null when the container has none (no memory limit of its
 * own), undefined when this reading lacks it.
 */
function figureOf(metric: AlertMetric, s: Sample, c: ContainerFacts): number | null | undefined {
  switch (metric) {
    case 'cpu':
      return s.cpu ?? undefined;
    case 'mem':
      return s.mem.used;
    case 'mem_percent':
      // A container without a limit of its own reports the host's memory as its limit: no percent of its own.
      return c.memoryLimited === false ? null : (s.mem.percent ?? undefined);
    default:
      return undefined;
  }
}

function breached(rule: AlertRule, v: number): boolean {
  return rule.op === '>' ? v > rule.threshold : v < rule.threshold;
}

/** Back across the threshold by the hysteresis margin. */
function cleared(rule: AlertRule, v: number): boolean {
  const margin = Math.abs(rule.threshold) * HYSTERESIS;
  return rule.op === '>' ? v < rule.threshold - margin : v > rule.threshold + margin;
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
