import { assertNever } from '@dockpulse/shared';
import { statsFrame, withDropped, type SampleJson } from '../protocol/frames.js';

/**
 * One subscriber's outbound queue: the Node counterpart of a pubsub subscriber channel with a bounded buffer
 * and a send timeout. Frames go to the socket only while its buffered amount is under a high-water mark;
 * otherwise they wait here, bounded in frames and bytes. A stats frame that waits longer than the send
 * timeout is dropped for this subscriber alone, and the next sample it receives for each affected topic says
 * how many it missed. A subscriber whose socket makes no progress for the stall timeout is closed.
 */

/** The socket as the outbox sees it. */
export interface OutboxSink {
  /** Bytes handed to the socket but not yet written out. */
  readonly bufferedAmount: number;
  /** Sends one text frame: a string, or a frame shared with the other sockets of the tick. */
  send(frame: string | SharedFrame): void;
  /** Closes the socket as a slow consumer; called at most once. */
  closeSlow(): void;
}

/** Per-subscriber bounds. */
export interface OutboxLimits {
  /** Stop handing frames to the socket while it buffers this many bytes. */
  highWaterMarkBytes: number;
  /** Frames that may wait in the queue. */
  maxQueuedFrames: number;
  /** Bytes that may wait in the queue. */
  maxQueuedBytes: number;
  /** A stats frame not handed to the socket within this time is dropped. */
  sendTimeoutMs: number;
  /** A socket that drains nothing for this long is closed as a slow consumer. */
  stallTimeoutMs: number;
}

/** A sample already serialized by its publisher, shared by every subscriber. */
export interface SerializedSample {
  topic: string;
  json: SampleJson;
  /** Unique per published sample: equal sequences of these make equal frames. */
  seq: number;
}

/**
 * A stats frame that every socket whose batch holds the same samples receives: its UTF-8 bytes, never
 * changed, and a slot where the transport keeps what it made of them (a framed message) for the next socket.
 */
export interface SharedFrame {
  readonly payload: Buffer;
  wire?: Buffer;
}

/**
 * Stats frames already rendered, by the sequence numbers of their samples. When many sockets watch the same
 * containers, their batches hold the same samples in the same order, and the frame is rendered, encoded and
 * framed once for all of them. The hub clears it every tick.
 */
export type FrameCache = Map<string, SharedFrame>;

/** A frame built when it is about to be sent, so that a large history costs nothing while it waits. */
export interface LazyFrame {
  build(): string;
}

type Entry =
  | { kind: 'stats'; items: SerializedSample[]; bytes: number; at: number }
  | { kind: 'control'; frame: string; bytes: number; key: string | undefined }
  | { kind: 'lazy'; frame: LazyFrame; bytes: number; topic: string };

/** Bytes counted for a lazy frame while it waits: its real size is paid for only when it is sent. */
const LAZY_FRAME_BYTES = 256;

export class Outbox {
  /** Topics this subscriber holds, by the name it used, with the hub's key of each; maintained by the hub. */
  readonly subscriptions = new Map<string, string>();
  /** Samples dropped for this subscriber since it connected. */
  droppedTotal = 0;
  private queue: Entry[] = [];
  private queuedBytes = 0;
  private batch: SerializedSample[] = [];
  private batchBytes = 0;
  private readonly dropped = new Map<string, number>();
  private blockedSince: number | undefined;
  private lastBuffered = 0;
  private closed = false;

  constructor(
    private readonly sink: OutboxSink,
    private readonly limits: OutboxLimits,
    private readonly now: () => number = Date.now,
    private readonly frames: FrameCache | undefined = undefined,
  ) {}

  /** True once the outbox gave up on its socket. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Frames waiting, for tests and metrics. */
  get queuedFrames(): number {
    return this.queue.length;
  }

  /**
   * Adds a sample to the batch that leaves at the next `flush`. Returns true when the batch was empty, so
   * the caller knows to schedule a flush.
   */
  addSample(sample: SerializedSample): boolean {
    if (this.closed) return false;
    this.batch.push(sample);
    this.batchBytes += sample.json.length + 1;
    return this.batch.length === 1;
  }

  /** Ends the coalescing window: the open batch becomes one frame. Returns true when frames remain queued. */
  flush(): boolean {
    this.closeBatch();
    return this.pump();
  }

  /**
   * Queues a frame that is never dropped for lateness (state changes, lists, errors). A queued frame with
   * the same `key` is replaced, since only the newest matters. Returns true when frames remain queued.
   */
  control(frame: string, key?: string): boolean {
    if (this.closed) return false;
    this.closeBatch();
    if (key !== undefined) {
      const i = this.queue.findIndex((e) => e.kind === 'control' && e.key === key);
      if (i >= 0) {
        this.queuedBytes -= this.queue[i]!.bytes;
        this.queue.splice(i, 1);
      }
    }
    this.enqueue({ kind: 'control', frame, bytes: frame.length, key });
    return this.pump();
  }

  /** Queues a frame built when it is sent (history). Returns true when frames remain queued. */
  lazy(topic: string, frame: LazyFrame): boolean {
    if (this.closed) return false;
    this.closeBatch();
    this.enqueue({ kind: 'lazy', frame, bytes: LAZY_FRAME_BYTES, topic });
    return this.pump();
  }

  /**
   * Forgets everything waiting for a topic after an unsubscribe: its history and state frames, sent under the
   * `name` the subscriber used, and its samples, which carry the hub's `key` of it.
   */
  forget(name: string, key: string = name): void {
    const topic = key;
    this.dropped.delete(topic);
    this.batch = this.batch.filter((s) => s.topic !== topic);
    this.batchBytes = this.batch.reduce((n, s) => n + s.json.length + 1, 0);
    const kept: Entry[] = [];
    const stateKey = stateKeyOf(name);
    for (const e of this.queue) {
      if ((e.kind === 'lazy' && e.topic === name) || (e.kind === 'control' && e.key === stateKey)) {
        this.queuedBytes -= e.bytes;
        continue;
      }
      if (e.kind === 'stats') {
        const items = e.items.filter((s) => s.topic !== topic);
        if (items.length !== e.items.length) {
          const bytes = items.reduce((n, s) => n + s.json.length + 1, 0);
          this.queuedBytes -= e.bytes - bytes;
          if (items.length === 0) continue;
          kept.push({ ...e, items, bytes });
          continue;
        }
      }
      kept.push(e);
    }
    this.queue = kept;
  }

  /**
   * Hands queued frames to the socket while it is under the high-water mark, after dropping stats frames
   * that waited past the send timeout. Returns true when frames remain queued, so the caller retries.
   */
  pump(): boolean {
    if (this.closed) return false;
    const now = this.now();
    this.expire(now);
    while (this.queue.length > 0) {
      const buffered = this.sink.bufferedAmount;
      if (buffered >= this.limits.highWaterMarkBytes) {
        // Draining at all, however slowly, counts as progress.
        if (this.blockedSince === undefined || buffered < this.lastBuffered) this.blockedSince = now;
        this.lastBuffered = buffered;
        if (now - this.blockedSince >= this.limits.stallTimeoutMs) this.giveUp();
        return !this.closed;
      }
      this.blockedSince = undefined;
      const entry = this.queue.shift()!;
      this.queuedBytes -= entry.bytes;
      this.sink.send(this.render(entry));
    }
    return false;
  }

  private closeBatch(): void {
    if (this.batch.length === 0) return;
    const entry: Entry = { kind: 'stats', items: this.batch, bytes: this.batchBytes, at: this.now() };
    this.batch = [];
    this.batchBytes = 0;
    this.enqueue(entry);
  }

  private enqueue(entry: Entry): void {
    this.queue.push(entry);
    this.queuedBytes += entry.bytes;
    while (this.queue.length > this.limits.maxQueuedFrames || this.queuedBytes > this.limits.maxQueuedBytes) {
      const oldest = this.queue.findIndex((e) => e.kind === 'stats');
      if (oldest < 0) {
        // Only frames that must not be lost are waiting, and they overflow: the reader is hopeless.
        this.giveUp();
        return;
      }
      this.dropAt(oldest);
    }
  }

  private expire(now: number): void {
    for (let i = 0; i < this.queue.length;) {
      const e = this.queue[i]!;
      if (e.kind === 'stats' && now - e.at > this.limits.sendTimeoutMs) this.dropAt(i);
      else i++;
    }
  }

  private dropAt(index: number): void {
    const [entry] = this.queue.splice(index, 1);
    if (!entry || entry.kind !== 'stats') return;
    this.queuedBytes -= entry.bytes;
    for (const s of entry.items) this.dropped.set(s.topic, (this.dropped.get(s.topic) ?? 0) + 1);
    this.droppedTotal += entry.items.length;
  }

  private render(entry: Entry): string | SharedFrame {
    switch (entry.kind) {
      case 'control':
        return entry.frame;
      case 'lazy':
        return entry.frame.build();
      case 'stats': {
        const shared = this.frames !== undefined && !entry.items.some((s) => this.dropped.has(s.topic));
        if (!shared) return this.renderStats(entry.items);
        let key = '';
        for (const s of entry.items) key += `${s.seq},`;
        let frame = this.frames.get(key);
        if (!frame) {
          frame = { payload: Buffer.from(this.renderStats(entry.items)) };
          this.frames.set(key, frame);
        }
        return frame;
      }
      default:
        return assertNever(entry);
    }
  }

  private renderStats(items: readonly SerializedSample[]): string {
    const parts: SampleJson[] = [];
    for (const s of items) {
      const missed = this.dropped.get(s.topic);
      if (missed === undefined) {
        parts.push(s.json);
      } else {
        // The sample is shared by all subscribers; only this one's copy says what it missed.
        parts.push(withDropped(s.json, missed));
        this.dropped.delete(s.topic);
      }
    }
    return statsFrame(parts);
  }

  private giveUp(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.batch = [];
    this.queuedBytes = 0;
    this.sink.closeSlow();
  }
}

/** The key under which a topic's queued state frame is kept: a newer state replaces an older one. */
export function stateKeyOf(topic: string): string {
  return `state:${topic}`;
}
