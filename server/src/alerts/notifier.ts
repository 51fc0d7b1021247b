/**
 * Delivers notices off the sample path: `send` only queues; a few deliveries run at once, each to every target
 * of its rule. A queue that overflows drops its oldest notice, and says so.
 */
import type { AlertNotice, DeliveryOutcome, NotifyTarget } from '@dockpulse/shared';
import type { Logger } from '../log.js';
import { deliver, describeNotice, type DeliveryOptions } from './delivery.js';

export interface NotifierOptions {
  delivery: DeliveryOptions;
  /** Notices delivered at once. */
  concurrency: number;
  /** Notices waiting at most; the oldest is dropped beyond. */
  maxQueued: number;
  log: Logger;
}

interface Job {
  targets: readonly NotifyTarget[];
  notice: AlertNotice;
  done: (outcomes: DeliveryOutcome[]) => void;
}

/** See the module comment. */
export class Notifier {
  private readonly queue: Job[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly lifetime = new AbortController();

  constructor(private readonly opts: NotifierOptions) {}

  /** Queues a notice for its targets; `done` gets one outcome per target, in their order, when all have ended. */
  send(targets: readonly NotifyTarget[], notice: AlertNotice, done: (outcomes: DeliveryOutcome[]) => void): void {
    if (targets.length === 0 || this.lifetime.signal.aborted) return;
    this.queue.push({ targets, notice, done });
    if (this.queue.length > this.opts.maxQueued) {
      const dropped = this.queue.shift()!;
      this.opts.log.warn('alert notification dropped: too many waiting', { rule: dropped.notice.rule.id, state: dropped.notice.state });
    }
    this.pump();
  }

  /** Stops retrying and waits for the deliveries under way to end. */
  async stop(): Promise<void> {
    this.lifetime.abort();
    this.queue.length = 0;
    await Promise.all(this.running);
  }

  private pump(): void {
    while (this.running.size < this.opts.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      const run = this.run(job).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async run(job: Job): Promise<void> {
    const outcomes = await Promise.all(job.targets.map((t) => deliver(t, job.notice, this.opts.delivery, this.lifetime.signal)));
    for (const o of outcomes) {
      // Once per notice and target, after the last attempt: the retries themselves are not news.
      if (!o.ok) {
        this.opts.log.warn('alert notification failed', {
          rule: job.notice.rule.id,
          notice: describeNotice(job.notice),
          type: o.type,
          target: o.target,
          attempts: o.attempts,
          error: o.error,
        });
      }
    }
    job.done(outcomes);
  }
}
