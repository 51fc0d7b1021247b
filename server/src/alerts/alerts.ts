/**
 * Alerts in the gateway: the rules from the store, evaluated against every sample the hub publishes and every
 * lifecycle event of every host, whether or not anyone watches; each firing and resolution is recorded,
 * delivered, and pushed to the sockets that hold the `alerts` topic.
 */
import { randomBytes } from 'node:crypto';
import { totalmem } from 'node:os';
import type { AlertNotice, AlertRule, AlertRuleInput, AlertRuleView, DeliveryOutcome, Sample } from '@dockpulse/shared';
import type { HostSet } from '../hosts/host-set.js';
import type { Logger } from '../log.js';
import type { LifecycleEvent } from '../source/source.js';
import type { AlertStore, StoredFiring } from './alert-store.js';
import { AlertEvaluator } from './evaluator.js';
import type { AlertFeed } from './alert-feed.js';
import type { ContainerFacts } from './match.js';
import { Notifier } from './notifier.js';
import { DEFAULT_DELIVERY, type DeliveryOptions } from './delivery.js';

/** How often windows slide and levels are judged between samples and events. */
const TICK_MS = 1000;

export interface AlertsOptions {
  store: AlertStore;
  hosts: HostSet;
  /** The hub's sample listener registration. */
  onSample: (listener: (s: Sample) => void) => () => void;
  /** Where the `alerts` topic's frames go. */
  feed: AlertFeed;
  /** The host whose memory is this machine's (the local engine's), if any. */
  localHost: string | undefined;
  maxRules: number;
  delivery?: DeliveryOptions;
  log: Logger;
  now?: () => number;
}

/** See the module comment. */
export class Alerts {
  private readonly evaluator: AlertEvaluator;
  private readonly notifier: Notifier;
  private readonly rules = new Map<string, AlertRule>();
  /** Per rule, the last outcome of each of its targets. */
  private readonly deliveries = new Map<string, (DeliveryOutcome | null)[]>();
  /** The store's id of each firing not yet resolved, by rule and container. */
  private readonly openFirings = new Map<string, number>();
  /** The largest memory limit seen per host: a container without a limit of its own reports the host's memory. */
  private readonly hostMemory = new Map<string, number>();
  private readonly offs: (() => void)[] = [];
  private readonly lifecycleHosts = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private readonly now: () => number;

  constructor(private readonly opts: AlertsOptions) {
    this.now = opts.now ?? Date.now;
    this.evaluator = new AlertEvaluator((n) => this.changed(n));
    this.notifier = new Notifier({ delivery: opts.delivery ?? DEFAULT_DELIVERY, concurrency: 4, maxQueued: 1000, log: opts.log });
    if (opts.localHost !== undefined) this.hostMemory.set(opts.localHost, totalmem());
  }

  /** Loads the rules and the firings a previous run left open, and starts listening. */
  start(): void {
    const { rules, skipped } = this.opts.store.rules();
    if (skipped > 0) this.opts.log.warn('alert rules skipped: they no longer parse', { skipped });
    for (const rule of rules) this.load(rule);
    const now = this.now();
    for (const f of this.opts.store.open()) {
      const key = firingKey(f.ruleId, f.host, f.containerId);
      this.openFirings.set(key, f.id);
      this.evaluator.restoreFiring(f.ruleId, { host: f.host, id: f.containerId, name: f.containerName }, f.firedAt, f.value, now);
    }
    this.offs.push(this.opts.onSample((s) => this.sample(s)));
    this.offs.push(this.opts.hosts.onChange(() => this.followHosts()));
    this.followHosts();
    this.started = true;
    this.keepTime();
    this.publish(undefined);
  }

  /** Stops evaluating, and waits for deliveries under way (retries are abandoned). */
  async stop(): Promise<void> {
    this.started = false;
    this.keepTime();
    for (const off of this.offs.splice(0)) off();
    await this.notifier.stop();
  }

  /** Every rule with its live state per container and its deliveries. */
  list(): AlertRuleView[] {
    return [...this.rules.values()].map((r) => this.view(r));
  }

  /** One rule as `list` shows it, with its latest firings (newest first); undefined when there is none. */
  get(id: string, firings = 100): (AlertRuleView & { firings: StoredFiring[] }) | undefined {
    const rule = this.rules.get(id);
    return rule && { ...this.view(rule), firings: this.opts.store.firings(id, firings) };
  }

  /** Stores and starts a rule; `full` when the gateway holds as many as it may. */
  create(input: AlertRuleInput): AlertRuleView | 'full' {
    if (this.rules.size >= this.opts.maxRules) return 'full';
    const rule: AlertRule = { ...input, id: randomBytes(9).toString('base64url'), createdAt: this.now() };
    this.opts.store.addRule(rule);
    this.load(rule);
    this.seedLevels();
    this.keepTime();
    return this.view(rule);
  }

  /** Deletes a rule and its history; its firing alerts leave the dashboard without a notification. */
  remove(id: string): boolean {
    if (!this.rules.delete(id)) return false;
    this.opts.store.removeRule(id);
    this.evaluator.removeRule(id);
    this.deliveries.delete(id);
    for (const key of [...this.openFirings.keys()]) if (key.startsWith(`${id}\n`)) this.openFirings.delete(key);
    this.keepTime();
    this.publish(undefined);
    return true;
  }

  /** True while the evaluation tick runs, which it does only while there is a rule. */
  get ticking(): boolean {
    return this.timer !== undefined;
  }

  /** Every alert firing now. */
  firing(): AlertNotice[] {
    return this.evaluator.firing();
  }

  /**
   * Runs the tick while there is a rule to judge, and only then: with no rules it has nothing to do, and a
   * timer that wakes the process every second for nothing costs a gateway with nobody connected.
   */
  private keepTime(): void {
    const wanted = this.started && this.rules.size > 0;
    if (wanted && this.timer === undefined) {
      this.timer = setInterval(() => this.evaluator.tick(this.now()), TICK_MS);
      this.timer.unref();
    } else if (!wanted && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private load(rule: AlertRule): void {
    this.rules.set(rule.id, rule);
    this.deliveries.set(
      rule.id,
      rule.notify.map(() => null),
    );
    this.evaluator.addRule(rule);
  }

  private view(rule: AlertRule): AlertRuleView {
    return { ...rule, targets: this.evaluator.states(rule.id), delivery: this.deliveries.get(rule.id) ?? [] };
  }

  /** A firing or resolution: recorded, delivered and pushed; nothing here waits on the network. */
  private changed(notice: AlertNotice): void {
    const rule = this.rules.get(notice.rule.id);
    if (!rule) return;
    const key = firingKey(rule.id, notice.container.host, notice.container.id);
    let firingId: number | undefined;
    try {
      if (notice.state === 'firing') {
        firingId = this.opts.store.fired(rule.id, notice.container, notice.value, notice.time);
        this.openFirings.set(key, firingId);
      } else {
        firingId = this.openFirings.get(key);
        this.openFirings.delete(key);
        if (firingId !== undefined) this.opts.store.resolved(firingId, notice.time);
      }
    } catch (e) {
      this.opts.log.error('alert firing not recorded', { rule: rule.id, error: e instanceof Error ? e.message : String(e) });
    }
    this.opts.log.info(notice.state === 'firing' ? 'alert firing' : 'alert resolved', {
      rule: rule.id,
      host: notice.container.host,
      container: notice.container.id,
      name: notice.container.name,
      value: notice.value,
    });
    this.publish(notice);
    this.notifier.send(rule.notify, notice, (outcomes) => {
      if (!this.rules.has(rule.id)) return;
      this.deliveries.set(rule.id, outcomes);
      if (notice.state === 'firing' && firingId !== undefined) {
        try {
          this.opts.store.delivered(firingId, outcomes);
        } catch {
          // The rule was deleted meanwhile, or the store closed: the outcome is still shown in the API.
        }
      }
    });
  }

  private publish(change: AlertNotice | undefined): void {
    this.opts.feed.publish(this.evaluator.firing(), change);
  }

  /** Listens to the lifecycle events of every host, those that join later included. */
  private followHosts(): void {
    for (const source of this.opts.hosts.sources()) {
      if (this.lifecycleHosts.has(source.host) || !source.onLifecycle) continue;
      this.lifecycleHosts.add(source.host);
      const host = source.host;
      this.offs.push(source.onLifecycle((e: LifecycleEvent) => this.evaluator.lifecycle(host, e, this.facts(host, e.id))));
    }
    this.seedLevels();
  }

  /** Health and exit status as the lists show them, for containers whose events came before the gateway. */
  private seedLevels(): void {
    if (![...this.rules.values()].some((r) => r.metric === 'unhealthy' || r.metric === 'exited')) return;
    const now = this.now();
    for (const c of this.opts.hosts.all()) {
      const exit = /^Exited \((\d+)\)/.exec(c.status)?.[1];
      this.evaluator.seen(
        {
          ...this.facts(c.host, c.id),
          running: c.state === 'running',
          unhealthy: c.health === 'unhealthy',
          exitCode: exit === undefined ? undefined : Number(exit),
        },
        now,
      );
    }
  }

  /** One sample of any container: its host's memory noted, and the rules judged when there are any. */
  private sample(s: Sample): void {
    const known = this.hostMemory.get(s.host) ?? 0;
    if (s.host !== this.opts.localHost && s.mem.limit > known) this.hostMemory.set(s.host, s.mem.limit);
    // Every container is sampled every second: its name and labels are looked up only for a rule to match.
    if (this.rules.size === 0) return;
    this.evaluator.sample(s, this.facts(s.host, s.id, s));
  }

  private facts(host: string, id: string, s?: Sample): ContainerFacts {
    const c = this.opts.hosts.find(host, id);
    const facts: ContainerFacts = {
      host,
      id,
      name: c?.name ?? id.slice(0, 12),
      project: c?.compose?.project,
      labels: this.opts.hosts.labelsOf(host, id),
    };
    if (s) facts.memoryLimited = s.mem.limit < (this.hostMemory.get(host) ?? Infinity);
    return facts;
  }
}

function firingKey(ruleId: string, host: string, id: string): string {
  return `${ruleId}\n${host}/${id}`;
}
