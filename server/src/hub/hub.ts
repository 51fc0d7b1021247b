import { CONTAINERS_TOPIC, statsTopic, type Sample, type TopicState } from '@dockpulse/shared';
import type { StatsUpstream } from '../source/source.js';
import { Ring } from './ring.js';
import { stateKeyOf, type FrameCache, type Outbox } from './outbox.js';
import { historyFrame, sampleJson, stateFrame, type SampleJson } from '../protocol/frames.js';

/** Hub tunables. */
export interface HubOptions {
  /** Samples kept per topic for new subscribers. */
  historySamples: number;
  /** How long a topic with no subscribers keeps its upstream open, so a page reload does not reopen it. */
  graceMs: number;
  /**
   * Samples published within this window after the first go to each socket in one frame; an upstream that
   * says when its batch ends has it flushed then, sooner.
   */
  coalesceMs: number;
  /** How often blocked subscribers are retried. */
  retryMs: number;
}

interface HistoryItem {
  seq: number;
  t: number;
  json: SampleJson;
}

interface StatsTopic {
  name: string;
  id: string;
  subscribers: Set<Outbox>;
  history: Ring<HistoryItem>;
  seq: number;
  state: TopicState | undefined;
  upstream: AbortController;
  grace: NodeJS.Timeout | undefined;
}

/** Counters for metrics and tests. */
export interface HubStats {
  topics: number;
  subscriptions: number;
  published: number;
}

/**
 * One publisher per topic. A `stats:<id>` topic opens its upstream on its first subscriber and releases it a
 * grace period after its last; every sample is serialized once, whatever the number of subscribers, and
 * queued to each subscriber's outbox; publishing never waits on a subscriber.
 */
export class Hub {
  private readonly topics = new Map<string, StatsTopic>();
  private readonly containerSubscribers = new Set<Outbox>();
  private containersFrame: string | undefined;
  private readonly dirty = new Set<Outbox>();
  private readonly blocked = new Set<Outbox>();
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private published = 0;
  private readonly offBatchEnd: (() => void) | undefined;
  /** Stats frames rendered this tick, shared by every socket whose batch holds the same samples. */
  readonly frames: FrameCache = new Map();

  constructor(
    private readonly upstream: StatsUpstream,
    private readonly options: HubOptions,
  ) {
    this.offBatchEnd = upstream.onBatchEnd?.(() => {
      if (this.flushTimer !== undefined) this.flush();
    });
  }

  /** Subscribes to the container list; the current list is sent at once. */
  subscribeContainers(out: Outbox): void {
    if (out.subscriptions.has(CONTAINERS_TOPIC)) return;
    out.subscriptions.add(CONTAINERS_TOPIC);
    this.containerSubscribers.add(out);
    if (this.containersFrame !== undefined) this.track(out, out.control(this.containersFrame, CONTAINERS_TOPIC));
  }

  /**
   * Subscribes to a container's stats: its history (the last `historyMs`, or all that is kept) is sent first,
   * then its state, then live samples.
   */
  subscribeStats(out: Outbox, id: string, historyMs?: number): void {
    const name = statsTopic(id);
    if (out.subscriptions.has(name)) return;
    let topic = this.topics.get(name);
    if (!topic) {
      topic = this.openTopic(name, id);
    } else if (topic.grace) {
      clearTimeout(topic.grace);
      topic.grace = undefined;
    }
    out.subscriptions.add(name);
    topic.subscribers.add(out);
    const t = topic;
    const upTo = t.seq;
    this.track(
      out,
      out.lazy(name, {
        // Built when the socket is ready for it; samples newer than `upTo` reach it in stats frames.
        build: () => {
          const since = historyMs === undefined ? -Infinity : Date.now() - historyMs;
          const parts: SampleJson[] = [];
          for (const h of t.history.toArray()) if (h.seq <= upTo && h.t >= since) parts.push(h.json);
          return historyFrame(name, parts);
        },
      }),
    );
    if (t.state !== undefined) this.track(out, out.control(stateFrame(name, t.state), stateKeyOf(name)));
  }

  /** Sends a frame to one subscriber (a reply, an error), with the same queueing as published frames. */
  send(out: Outbox, frame: string): void {
    this.track(out, out.control(frame));
  }

  /** Removes one subscription. */
  unsubscribe(out: Outbox, topic: string): void {
    if (!out.subscriptions.delete(topic)) return;
    out.forget(topic);
    if (topic === CONTAINERS_TOPIC) {
      this.containerSubscribers.delete(out);
      return;
    }
    const t = this.topics.get(topic);
    if (!t) return;
    t.subscribers.delete(out);
    if (t.subscribers.size === 0 && !t.grace) t.grace = setTimeout(() => this.closeTopic(t), this.options.graceMs);
  }

  /** Removes every subscription of a subscriber that went away. */
  detach(out: Outbox): void {
    for (const topic of [...out.subscriptions]) this.unsubscribe(out, topic);
    this.dirty.delete(out);
    this.blocked.delete(out);
  }

  /** Publishes a new container list frame (already serialized) to its subscribers and keeps it for new ones. */
  publishContainers(frame: string): void {
    this.containersFrame = frame;
    for (const out of this.containerSubscribers) this.track(out, out.control(frame, CONTAINERS_TOPIC));
  }

  /** Topics open now, their subscriptions, and samples published so far. */
  stats(): HubStats {
    let subscriptions = this.containerSubscribers.size;
    for (const t of this.topics.values()) subscriptions += t.subscribers.size;
    return { topics: this.topics.size, subscriptions, published: this.published };
  }

  /** Stops every upstream and timer. */
  close(): void {
    for (const t of [...this.topics.values()]) this.closeTopic(t);
    this.offBatchEnd?.();
    clearTimeout(this.flushTimer);
    clearInterval(this.retryTimer);
    this.flushTimer = undefined;
    this.retryTimer = undefined;
  }

  private openTopic(name: string, id: string): StatsTopic {
    const topic: StatsTopic = {
      name,
      id,
      subscribers: new Set(),
      history: new Ring(this.options.historySamples),
      seq: 0,
      state: undefined,
      upstream: new AbortController(),
      grace: undefined,
    };
    this.topics.set(name, topic);
    const signal = topic.upstream.signal;
    this.upstream.watch(
      id,
      {
        sample: (s) => {
          if (!signal.aborted) this.publishSample(topic, s);
        },
        state: (s) => {
          if (!signal.aborted) this.publishState(topic, s);
        },
      },
      signal,
    );
    return topic;
  }

  private closeTopic(topic: StatsTopic): void {
    clearTimeout(topic.grace);
    topic.grace = undefined;
    topic.upstream.abort();
    if (this.topics.get(topic.name) === topic) this.topics.delete(topic.name);
  }

  private publishSample(topic: StatsTopic, sample: Sample): void {
    const json = sampleJson(sample);
    topic.seq++;
    topic.history.push({ seq: topic.seq, t: sample.t, json });
    this.published++;
    const item = { topic: topic.name, json, seq: this.published };
    for (const out of topic.subscribers) if (out.addSample(item)) this.dirty.add(out);
    if (this.dirty.size > 0 && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), this.options.coalesceMs);
    }
  }

  private publishState(topic: StatsTopic, state: TopicState): void {
    if (topic.state === state) return;
    topic.state = state;
    const frame = stateFrame(topic.name, state);
    const key = stateKeyOf(topic.name);
    for (const out of topic.subscribers) this.track(out, out.control(frame, key));
    if (state === 'removed') {
      // The container is gone for good: its topic ends, and its subscribers no longer hold it.
      for (const out of topic.subscribers) out.subscriptions.delete(topic.name);
      topic.subscribers.clear();
      this.closeTopic(topic);
    }
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const out of this.dirty) this.track(out, out.flush());
    this.dirty.clear();
    // Frames left waiting render their own copies later; the cache only holds what this tick shared.
    this.frames.clear();
  }

  /** Remembers an outbox that still has frames waiting, and retries it until it has none. */
  private track(out: Outbox, pending: boolean): void {
    if (!pending) {
      this.blocked.delete(out);
      return;
    }
    this.blocked.add(out);
    this.retryTimer ??= setInterval(() => {
      for (const o of this.blocked) if (!o.pump()) this.blocked.delete(o);
      if (this.blocked.size === 0) {
        clearInterval(this.retryTimer);
        this.retryTimer = undefined;
      }
    }, this.options.retryMs);
  }
}
