import type { Sample, TopicState } from '@dockpulse/shared';
import type { StatsSink } from '../source/source.js';

/** Records what a stats source sends to one topic, and lets a test wait for a condition on it. */
export class Recorder implements StatsSink {
  readonly samples: Sample[] = [];
  readonly states: TopicState[] = [];
  private readonly waiters = new Set<() => void>();

  /** @param waitMs how long `until` waits before failing; it only keeps a failure from hanging. */
  constructor(private readonly waitMs: number) {}

  sample(s: Sample): void {
    this.samples.push(s);
    for (const w of [...this.waiters]) w();
  }

  state(s: TopicState): void {
    this.states.push(s);
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the probe's first truthy answer, checked now and after every event. */
  until<T>(probe: () => T | undefined | false, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = probe();
        if (v === undefined || v === false) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; states ${this.states.join(',')}, ${this.samples.length} samples`));
      }, this.waitMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Waits for `n` more samples than there are now. */
  async more(n: number): Promise<void> {
    const target = this.samples.length + n;
    await this.until(() => this.samples.length >= target, `${n} more samples`);
  }

  /** The CPU figures received, nulls left out. */
  cpus(): number[] {
    return this.samples.map((s) => s.cpu).filter((c): c is number => c !== null);
  }
}
