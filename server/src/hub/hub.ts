import { CONTAINERS_TOPIC, type Sample, type TopicState } from '@dockpulse/shared';
import type { HostUpstream } from '../hosts/host-set.js';
import { SampleRing } from './sample-ring.js';
import { stateKeyOf, type FrameCache, type Outbox } from './outbox.js';
import { historyFrame, sampleJson, stateFrame } from '../protocol/frames.js';

/** Hub tunables. */
export interface HubOptions {
  /** Samples kept per topic: the recent past a new subscriber gets at once. */
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

/** One container's topic: its publisher. */
interface StatsTopic {
  /** `<host>/<id>`: the hub's name for it, whatever name each subscriber used. */
  key: string;
  host: string;
  id: string;
  /** Each subscriber, with the topic name it subscribed with (frames about the topic carry that name). */
  subscribers: Map<Outbox, string>;
  /** Holders that keep the topic open without a socket: the recording of every container, an agent. */
  pins: number;
  recent: SampleRing;
  /** Samples published on this topic so far. */
  seq: number;
  state: TopicState | undefined;
  upstream: AbortController;
  grace: NodeJS.Timeout | undefined;
}

/** Counters for metrics and tests. */
export interface HubStats {
  topics: number;
  subscriptions: number;
  /** Topics held open by pins. */
  pinned: number;
  published: number;
}

/** What a listener of every sample is told. */
export type SampleListener = (sample: Sample) => void;

/** The hub's key of a container's topic. */
export function topicKey(host: string, id: string): string {
  return `${host}/${id}`;
}

/**
 * One publisher per container. A container's topic opens its upstream on its first subscriber (or pin) and
 * releases it a grace period after its last; every sample is kept in the topic's recent window, serialized
 * once for all of its subscribers, and queued to each subscriber's outbox; publishing never waits on a
 * subscriber.
 */
export class Hub {
  private readonly topics = new Map<string, StatsTopic>();
  /** Topics opened on trust for containers their host did not list; bounded by the caller. */
  private readonly unlisted = new Set<StatsTopic>();
  private readonly containerSubscribers = new Set<Outbox>();
  /** The container list's frame, once rendered for a subscriber; undefined until one needs it. */
  private containersFrame: string | undefined;
  /** Renders the newest container list's frame. */
  private renderContainers: (() => string) | undefined;
  private readonly dirty = new Set<Outbox>();
  private readonly blocked = new Set<Outbox>();
  private readonly sampleListeners = new Set<SampleListener>();
  private flushTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private published = 0;
  private readonly offBatchEnd: (() => void) | undefined;
  /** Stats frames rendered this tick, shared by every socket whose batch holds the same samples. */
  readonly frames: FrameCache = new Map();

  constructor(
    private readonly upstream: HostUpstream,
    private readonly options: HubOptions,
  ) {
    this.offBatchEnd = upstream.onBatchEnd?.(() => {
      if (this.flushTimer !== undefined) this.flush();
    });
  }

  /** Subscribes to the container list; the current list is sent at once. */
  subscribeContainers(out: Outbox): void {
    if (out.subscriptions.has(CONTAINERS_TOPIC)) return;
    out.subscriptions.set(CONTAINERS_TOPIC, CONTAINERS_TOPIC);
    this.containerSubscribers.add(out);
    this.containersFrame ??= this.renderContainers?.();
    if (this.containersFrame !== undefined) this.track(out, out.control(this.containersFrame, CONTAINERS_TOPIC));
  }

  /**
   * Subscribes to a container's stats under the topic name `name` the subscriber used: its recent past (the
   * last `historyMs`, or all that is kept) is sent first, then its state, then live samples. A socket that
   * already holds the container's topic, under any name, is left as it is. `grant`, when given, says how many
   * of the recent samples may be sent (the newest that many), when the history is built. `unlisted` says that
   * the container's host does not list it (it was taken on trust while the host does not answer): such a topic
   * is counted by `unlistedTopics` while it stays open.
   */
  subscribeStats(
    out: Outbox,
    host: string,
    id: string,
    name: string,
    historyMs?: number,
    grant?: (wanted: number) => number,
    unlisted = false,
  ): void {
    if (out.subscriptions.has(name)) return;
    const opened = !this.topics.has(topicKey(host, id));
    const t = this.open(host, id);
    if (opened && unlisted) this.unlisted.add(t);
    if (t.subscribers.has(out)) return;
    out.subscriptions.set(name, t.key);
    t.subscribers.set(out, name);
    const upTo = t.seq;
    this.track(
      out,
      out.lazy(name, {
        // Built when the socket is ready for it; samples newer than `upTo` reach it in stats frames.
        build: () => {
          const since = historyMs === undefined ? -Infinity : Date.now() - historyMs;
          const samples = t.recent.samples(since, t.seq - upTo);
          const n = grant ? grant(samples.length) : samples.length;
          return historyFrame(name, samples.slice(samples.length - n).map(sampleJson));
        },
      }),
    );
    if (t.state !== undefined) this.track(out, out.control(stateFrame(name, t.state), stateKeyOf(name)));
  }

  /**
   * Keeps a container's topic open, and its recent samples kept, with nobody subscribed; returns the function
   * that lets go (the topic then closes a grace period after its last holder).
   */
  pin(host: string, id: string): () => void {
    const t = this.open(host, id);
    t.pins++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      t.pins--;
      this.release(t);
    };
  }

  /** Calls `listener` with every sample published on any topic; returns the function that removes it. */
  onSample(listener: SampleListener): () => void {
    this.sampleListeners.add(listener);
    return () => this.sampleListeners.delete(listener);
  }

  /** Sends a frame to one subscriber (a reply, an error), with the same queueing as published frames. */
  send(out: Outbox, frame: string): void {
    this.track(out, out.control(frame));
  }

  /** Removes one subscription, by the name it was made with. */
  unsubscribe(out: Outbox, name: string): void {
    const key = out.subscriptions.get(name);
    if (key === undefined) return;
    out.subscriptions.delete(name);
    out.forget(name, key);
    if (key === CONTAINERS_TOPIC) {
      this.containerSubscribers.delete(out);
      return;
    }
    const t = this.topics.get(key);
    if (!t) return;
    t.subscribers.delete(out);
    this.release(t);
  }

  /** Removes a subscriber's subscription to one container, whatever name it used. */
  unsubscribeContainer(out: Outbox, host: string, id: string): void {
    const name = this.topics.get(topicKey(host, id))?.subscribers.get(out);
    if (name !== undefined) this.unsubscribe(out, name);
  }

  /** Removes every subscription of a subscriber that went away. */
  detach(out: Outbox): void {
    for (const name of [...out.subscriptions.keys()]) this.unsubscribe(out, name);
    this.dirty.delete(out);
    this.blocked.delete(out);
  }

  /**
   * Publishes a new container list to its subscribers and keeps it for new ones. `render` makes its frame, which
   * is rendered only while someone holds the topic: the list changes with every container that starts or stops
   * on a busy host, and with nobody connected its frame would go nowhere.
   */
  publishContainers(render: () => string): void {
    this.renderContainers = render;
    this.containersFrame = undefined;
    if (this.containerSubscribers.size === 0) return;
    const frame = render();
    this.containersFrame = frame;
    for (const out of this.containerSubscribers) this.track(out, out.control(frame, CONTAINERS_TOPIC));
  }

  /** The newest sample of a container, while its topic is open. */
  latest(host: string, id: string): Sample | undefined {
    return this.topics.get(topicKey(host, id))?.recent.newest();
  }

  /** The samples a container's topic keeps, from `since` (ms) on, oldest first; none while it is not open. */
  recent(host: string, id: string, since: number): Sample[] {
    return this.topics.get(topicKey(host, id))?.recent.samples(since) ?? [];
  }

  /** Topics open now, their subscriptions, and samples published so far. */
  stats(): HubStats {
    let subscriptions = this.containerSubscribers.size;
    let pinned = 0;
    for (const t of this.topics.values()) {
      subscriptions += t.subscribers.size;
      if (t.pins > 0) pinned++;
    }
    return { topics: this.topics.size, subscriptions, pinned, published: this.published };
  }

  /** True while the container's topic is open: subscribing to it opens nothing new. */
  isOpen(host: string, id: string): boolean {
    return this.topics.has(topicKey(host, id));
  }

  /**
   * Topics open for containers their host did not list when they were opened, less those that `stillUnlisted`
   * says are listed now.
   */
  unlistedTopics(stillUnlisted: (host: string, id: string) => boolean): number {
    for (const t of this.unlisted) if (!stillUnlisted(t.host, t.id)) this.unlisted.delete(t);
    return this.unlisted.size;
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

  /** The container's topic, opened (and its upstream watched) when it was not; a pending release is cancelled. */
  private open(host: string, id: string): StatsTopic {
    const key = topicKey(host, id);
    const existing = this.topics.get(key);
    if (existing) {
      clearTimeout(existing.grace);
      existing.grace = undefined;
      return existing;
    }
    const topic: StatsTopic = {
      key,
      host,
      id,
      subscribers: new Map(),
      pins: 0,
      recent: new SampleRing(this.options.historySamples, host, id),
      seq: 0,
      state: undefined,
      upstream: new AbortController(),
      grace: undefined,
    };
    this.topics.set(key, topic);
    const signal = topic.upstream.signal;
    this.upstream.watch(
      host,
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

  /** Starts the grace period of a topic nobody holds any more. */
  private release(t: StatsTopic): void {
    if (t.subscribers.size > 0 || t.pins > 0 || t.grace !== undefined || this.topics.get(t.key) !== t) return;
    t.grace = setTimeout(() => this.closeTopic(t), this.options.graceMs);
  }

  private closeTopic(topic: StatsTopic): void {
    clearTimeout(topic.grace);
    topic.grace = undefined;
    topic.upstream.abort();
    this.unlisted.delete(topic);
    if (this.topics.get(topic.key) === topic) this.topics.delete(topic.key);
  }

  private publishSample(topic: StatsTopic, sample: Sample): void {
    // A sample heard twice (a replay that overlaps the live feed) or out of order is not news.
    const last = topic.recent.lastT;
    if (last !== undefined && sample.t <= last) return;
    topic.recent.push(sample);
    topic.seq++;
    this.published++;
    for (const listener of this.sampleListeners) listener(sample);
    if (topic.subscribers.size === 0) return;
    const item = { topic: topic.key, json: sampleJson(sample), seq: this.published };
    for (const out of topic.subscribers.keys()) if (out.addSample(item)) this.dirty.add(out);
    if (this.dirty.size > 0 && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => this.flush(), this.options.coalesceMs);
    }
  }

  private publishState(topic: StatsTopic, state: TopicState): void {
    if (topic.state === state) return;
    topic.state = state;
    // Subscribers that used the same name for the topic share one frame.
    const frames = new Map<string, string>();
    for (const [out, name] of topic.subscribers) {
      let frame = frames.get(name);
      if (frame === undefined) {
        frame = stateFrame(name, state);
        frames.set(name, frame);
      }
      this.track(out, out.control(frame, stateKeyOf(name)));
    }
    if (state === 'removed') {
      // The container is gone for good: its topic ends, and its subscribers no longer hold it.
      for (const [out, name] of topic.subscribers) out.subscriptions.delete(name);
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
