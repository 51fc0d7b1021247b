/**
 * Alert rules as `POST /api/alerts` takes them, as `GET /api/alerts` and the `alerts` topic show them, and the
 * body a webhook receives: the shapes and the bounded parser, so that the dashboard's form and the gateway
 * refuse the same input with the same words.
 */
import { isFiniteNumber, isObject, isOneOf } from './guards.js';
import { isHostName } from './protocol.js';
import { err, ok, type Result } from './result.js';

/** What a rule watches: three averaged figures, and four things that happen to a container. */
export const ALERT_METRICS = ['cpu', 'mem_percent', 'mem', 'restarts', 'oom', 'unhealthy', 'exited'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

/** The metrics averaged over the rule's window, with hysteresis. */
export const AVERAGED_METRICS: readonly AlertMetric[] = ['cpu', 'mem_percent', 'mem'];

export const ALERT_OPS = ['>', '<'] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

export const NOTIFY_TYPES = ['webhook', 'ntfy', 'slack'] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

/** Bounds on a rule, part of the API's contract. */
export const ALERT_LIMITS = {
  maxNameLength: 100,
  /** Longest name glob, label selector, project or host. */
  maxMatchLength: 200,
  /** Longest window and cooldown, in seconds: a day. */
  maxSeconds: 86_400,
  maxUrlLength: 2048,
  maxNotify: 5,
  /** Largest `POST /api/alerts` body. */
  maxBodyBytes: 16 * 1024,
  /** The cooldown when a rule gives none, in seconds. */
  defaultCooldownSeconds: 300,
} as const;

/** Which containers a rule applies to; every field given must match, and an empty match takes every container. */
export interface AlertMatch {
  /** Glob on the container's name: `*` any run of characters, `?` one. */
  name?: string;
  /** `key=value`, or `key` for a label with any value. */
  label?: string;
  /** Compose project. */
  project?: string;
  /** Host name. */
  host?: string;
}

export interface NotifyTarget {
  type: NotifyType;
  url: string;
}

/** A valid rule, as posted. */
export interface AlertRuleInput {
  name: string;
  match: AlertMatch;
  metric: AlertMetric;
  op: AlertOp;
  threshold: number;
  /** Seconds. */
  for: number;
  /** Seconds between two firings of the rule for one container. */
  cooldown: number;
  notify: NotifyTarget[];
}

/** A stored rule. */
export interface AlertRule extends AlertRuleInput {
  id: string;
  /** ms since the epoch. */
  createdAt: number;
}

/** Where a rule stands for one container: `pending` while the condition holds but not yet for long enough. */
export type AlertStatus = 'ok' | 'pending' | 'firing';

/** A rule's live state for one matching container. */
export interface AlertTargetState {
  host: string;
  id: string;
  name: string;
  state: AlertStatus;
  /** The figure the rule compares; null while there is none (no samples yet, no limit of its own). */
  value: number | null;
  /** When the state began, ms since the epoch. */
  since: number;
}

/** How the last notification of a rule went. */
export interface DeliveryOutcome {
  type: NotifyType;
  /** The target's URL without its path and query, which may hold a secret. */
  target: string;
  ok: boolean;
  attempts: number;
  /** When it ended, ms since the epoch. */
  at: number;
  /** Why it failed, when it did. */
  error?: string;
}

/** A rule as `GET /api/alerts` lists it. */
export interface AlertRuleView extends AlertRule {
  targets: AlertTargetState[];
  /** The last outcome of each notify target, in the order of `notify`; null before the first. */
  delivery: (DeliveryOutcome | null)[];
}

/** A rule that fires or resolves for a container: the body of a webhook, and an entry of the `alerts` message. */
export interface AlertNotice {
  rule: { id: string; name: string };
  state: 'firing' | 'resolved';
  container: { host: string; id: string; name: string };
  metric: AlertMetric;
  op: AlertOp;
  /** The figure when it fired or resolved: the average for an averaged metric, else the count or code. */
  value: number | null;
  threshold: number;
  /** ms since the epoch. */
  time: number;
}

/** Why a rule was refused: a sentence for the person who wrote it. */
export type AlertRuleError = string;

const RULE_FIELDS = ['name', 'match', 'metric', 'op', 'threshold', 'for', 'cooldown', 'notify'];
const MATCH_FIELDS = ['name', 'label', 'project', 'host'];
const LABEL = /^[A-Za-z0-9._/-]+(=[^\s]*)?$/;

/**
 * Parses a `POST /api/alerts` body. Unknown fields are refused rather than ignored: a misspelt `cooldwon` would
 * otherwise leave the default in place without a word.
 */
export function parseAlertRule(raw: unknown): Result<AlertRuleInput, AlertRuleError> {
  if (!isObject(raw)) return err('the body must be a JSON object');
  const unknown = Object.keys(raw).find((k) => !RULE_FIELDS.includes(k));
  if (unknown !== undefined) return err(`unknown field "${unknown.slice(0, 40)}"; a rule has ${RULE_FIELDS.join(', ')}`);
  const { name, match, metric, op, threshold, notify } = raw;
  if (typeof name !== 'string' || name.trim().length === 0 || name.length > ALERT_LIMITS.maxNameLength) {
    return err(`"name" must be text of 1 to ${ALERT_LIMITS.maxNameLength} characters`);
  }
  const parsedMatch = parseMatch(match);
  if (!parsedMatch.ok) return parsedMatch;
  if (!isOneOf(ALERT_METRICS, metric)) return err(`"metric" must be one of ${ALERT_METRICS.join(', ')}`);
  if (!isOneOf(ALERT_OPS, op)) return err('"op" must be ">" or "<"');
  if (!isFiniteNumber(threshold)) return err('"threshold" must be a finite number');
  const window = seconds(raw['for'], 'for');
  if (!window.ok) return window;
  const cooldown = raw['cooldown'] === undefined ? ok(ALERT_LIMITS.defaultCooldownSeconds) : seconds(raw['cooldown'], 'cooldown');
  if (!cooldown.ok) return cooldown;
  const targets = parseNotify(notify);
  if (!targets.ok) return targets;
  return ok({
    name: name.trim(),
    match: parsedMatch.value,
    metric,
    op,
    threshold,
    for: window.value,
    cooldown: cooldown.value,
    notify: targets.value,
  });
}

function seconds(v: unknown, field: string): Result<number, AlertRuleError> {
  if (!isFiniteNumber(v) || v <= 0 || v > ALERT_LIMITS.maxSeconds) {
    return err(`"${field}" must be a number of seconds above 0 and at most ${ALERT_LIMITS.maxSeconds} (a day)`);
  }
  return ok(v);
}

function parseMatch(v: unknown): Result<AlertMatch, AlertRuleError> {
  if (v === undefined) return ok({});
  if (!isObject(v)) return err('"match" must be an object with any of name, label, project, host');
  const unknown = Object.keys(v).find((k) => !MATCH_FIELDS.includes(k));
  if (unknown !== undefined) return err(`unknown field "match.${unknown.slice(0, 40)}"; a match has ${MATCH_FIELDS.join(', ')}`);
  const match: AlertMatch = {};
  for (const field of MATCH_FIELDS as (keyof AlertMatch)[]) {
    const value = v[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length === 0 || value.length > ALERT_LIMITS.maxMatchLength) {
      return err(`"match.${field}" must be text of 1 to ${ALERT_LIMITS.maxMatchLength} characters`);
    }
    if (field === 'label' && !LABEL.test(value)) return err('"match.label" must be key=value or key');
    if (field === 'host' && !isHostName(value)) return err('"match.host" must be a host name');
    match[field] = value;
  }
  return ok(match);
}

function parseNotify(v: unknown): Result<NotifyTarget[], AlertRuleError> {
  if (v === undefined) return ok([]);
  if (!Array.isArray(v)) return err('"notify" must be a list of { "type", "url" }');
  if (v.length > ALERT_LIMITS.maxNotify) return err(`"notify" may hold at most ${ALERT_LIMITS.maxNotify} targets`);
  const targets: NotifyTarget[] = [];
  for (const [i, t] of v.entries()) {
    if (!isObject(t)) return err(`"notify[${i}]" must be { "type", "url" }`);
    const { type, url } = t;
    if (!isOneOf(NOTIFY_TYPES, type)) return err(`"notify[${i}].type" must be one of ${NOTIFY_TYPES.join(', ')}`);
    const checked = checkNotifyUrl(url);
    if (checked !== undefined) return err(`"notify[${i}].url" ${checked}`);
    targets.push({ type, url: url as string });
  }
  return ok(targets);
}

/** Why `url` cannot be notified, or undefined when it can: an absolute http(s) URL of bounded length. */
export function checkNotifyUrl(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length === 0) return 'must be a URL';
  if (url.length > ALERT_LIMITS.maxUrlLength) return `must be at most ${ALERT_LIMITS.maxUrlLength} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be http:// or https://';
  return undefined;
}

/** A glob (`*` any run of characters, `?` one) as an anchored regular expression. */
export function globPattern(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${body}$`);
}

/** Parses one rule of `GET /api/alerts`; undefined when malformed. */
export function parseAlertRuleView(v: unknown): AlertRuleView | undefined {
  if (!isObject(v) || typeof v['id'] !== 'string' || !isFiniteNumber(v['createdAt'])) return undefined;
  const { id, createdAt, targets, delivery, ...input } = v;
  const rule = parseAlertRule(input);
  if (!rule.ok || !Array.isArray(targets) || !Array.isArray(delivery)) return undefined;
  const states: AlertTargetState[] = [];
  for (const t of targets) {
    const state = parseTargetState(t);
    if (!state) return undefined;
    states.push(state);
  }
  const outcomes: (DeliveryOutcome | null)[] = [];
  for (const d of delivery) {
    const outcome = d === null ? null : parseDeliveryOutcome(d);
    if (outcome === undefined) return undefined;
    outcomes.push(outcome);
  }
  return { ...rule.value, id, createdAt, targets: states, delivery: outcomes };
}

/** Parses a `DeliveryOutcome`; undefined when malformed. */
export function parseDeliveryOutcome(d: unknown): DeliveryOutcome | undefined {
  if (!isObject(d) || !isOneOf(NOTIFY_TYPES, d['type']) || typeof d['target'] !== 'string' || typeof d['ok'] !== 'boolean')
    return undefined;
  if (!isFiniteNumber(d['attempts']) || !isFiniteNumber(d['at'])) return undefined;
  const outcome: DeliveryOutcome = { type: d['type'], target: d['target'], ok: d['ok'], attempts: d['attempts'], at: d['at'] };
  if (typeof d['error'] === 'string') outcome.error = d['error'];
  return outcome;
}

function parseTargetState(v: unknown): AlertTargetState | undefined {
  if (!isObject(v)) return undefined;
  const { host, id, name, state, value, since } = v;
  if (typeof host !== 'string' || typeof id !== 'string' || typeof name !== 'string') return undefined;
  if (state !== 'ok' && state !== 'pending' && state !== 'firing') return undefined;
  if (!(value === null || isFiniteNumber(value)) || !isFiniteNumber(since)) return undefined;
  return { host, id, name, state, value, since };
}

/** `{"rules":[…]}`; undefined when it or any rule is malformed. */
export function parseAlertRuleList(v: unknown): AlertRuleView[] | undefined {
  if (!isObject(v) || !Array.isArray(v['rules'])) return undefined;
  const rules: AlertRuleView[] = [];
  for (const r of v['rules']) {
    const rule = parseAlertRuleView(r);
    if (!rule) return undefined;
    rules.push(rule);
  }
  return rules;
}

/** Parses an `AlertNotice`; undefined when malformed. */
export function parseAlertNotice(v: unknown): AlertNotice | undefined {
  if (!isObject(v)) return undefined;
  const { rule, state, container, metric, op, value, threshold, time } = v;
  if (!isObject(rule) || typeof rule['id'] !== 'string' || typeof rule['name'] !== 'string') return undefined;
  if (state !== 'firing' && state !== 'resolved') return undefined;
  if (!isObject(container) || typeof container['host'] !== 'string' || typeof container['id'] !== 'string') return undefined;
  if (typeof container['name'] !== 'string' || !isOneOf(ALERT_METRICS, metric) || !isOneOf(ALERT_OPS, op)) return undefined;
  if (!(value === null || isFiniteNumber(value)) || !isFiniteNumber(threshold) || !isFiniteNumber(time)) return undefined;
  return {
    rule: { id: rule['id'], name: rule['name'] },
    state,
    container: { host: container['host'], id: container['id'], name: container['name'] },
    metric,
    op,
    value,
    threshold,
    time,
  };
}
