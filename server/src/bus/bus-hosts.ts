/**
 * A gateway's side of the bus: it makes the samples stream and the buckets if they are missing, learns the
 * hosts from the hosts bucket (each becomes a `BusHost` in the gateway's host set), follows their
 * heartbeats and events, and hears every host's samples live. The samples stream is read only to catch up:
 * the history window when the gateway starts, so that it shows the recent past at once, and what was missed
 * while the connection was away. Live samples come by plain subscription, which costs nats-server about half
 * of what delivering each message through a stream consumer does. Every message is
 * parsed and bounded; what is refused is counted, and never stops the others.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import { isHostName } from '@dockpulse/shared';
import type { HostSet } from '../hosts/host-set.js';
import type { Logger } from '../log.js';
import type { BusHandlers, BusLink } from './connection.js';
import { BusHost, type Ignored } from './bus-host.js';
import { parseEventsMessage, parseHeartbeat, parseHostRecord, parseSamplesMessage, type Refusal } from './messages.js';
import { parseHostSubject } from './subjects.js';
import type { BusShares } from './bus-shares.js';
import type { ShareStore } from '../auth/share-store.js';

export interface BusHostsOptions {
  link: BusLink;
  hosts: HostSet;
  /** How far back the samples stream keeps, and a starting gateway reads. */
  historyMs: number;
  /** Time between samples of a container, to bound the stream's messages per host. */
  intervalMs: number;
  /** A host this gateway reads itself: an agent heard under that name is not added again. */
  localHost: string | undefined;
  /** Share links kept on the bus, and the store they feed. */
  shares?: { persistence: BusShares; store: ShareStore };
  log: Logger;
  now?: () => number;
}

/** Messages refused or ignored since start, by reason, for `/healthz` and the logs. */
export type BusRejections = Record<Refusal['reason'] | Ignored | 'unknown-host' | 'bad-subject', number>;

/** Live messages held while the stream is replayed, applied after it; past this many, further ones are dropped. */
const MAX_HELD_MESSAGES = 2048;

/**
 * After a reconnect, the stream is replayed from this long before the last live message: the server's clock
 * and this gateway's may differ a little, and a sample heard twice is not published twice (the hub ignores a
 * sample no newer than the last).
 */
const RESUME_OVERLAP_MS = 5000;

export class BusHosts implements BusHandlers {
  private readonly known = new Map<string, BusHost>();
  readonly rejected: BusRejections = {
    oversized: 0,
    malformed: 0,
    foreign: 0,
    'other-agent': 0,
    'unknown-container': 0,
    'unknown-host': 0,
    'bad-subject': 0,
  };
  private readonly log: Logger;
  private readonly now: () => number;
  /**
   * One timer for every host's missed heartbeats, set for the earliest moment one of them could go silent,
   * and put back whenever the host it waits for is heard: a gateway that hears its hosts on time is never
   * woken by it.
   */
  private liveness: NodeJS.Timeout | undefined;
  private livenessAt = Infinity;
  /** The host whose silence the timer waits for. */
  private livenessFor: BusHost | undefined;
  private running = false;
  private feed: ConsumerMessages | undefined;
  private watcher: { stop(): void } | undefined;
  /** When the last live samples message arrived (this gateway's clock), to replay from after a reconnect. */
  private lastLiveAt: number | undefined;
  /** Live messages that came while the stream is replayed; undefined while none is. */
  private held: { subject: string; data: Uint8Array }[] | undefined;
  /** Live messages dropped because too many came during a replay. */
  heldDropped = 0;
  /** Which replay is the current one: a reconnect during a replay starts another, and the first gives up. */
  private replays = 0;
  private kv: { hosts: KV; shares: KV } | undefined;
  private readonly reported = new Set<string>();
  /** Settles once the hosts and the history window have been read the first time. */
  private readonly caughtUp: Promise<void>;
  private markCaughtUp: () => void = () => {};

  constructor(private readonly opts: BusHostsOptions) {
    this.log = opts.log.with({ bus: opts.link.state.servers });
    this.now = opts.now ?? Date.now;
    this.caughtUp = new Promise((resolve) => (this.markCaughtUp = resolve));
  }

  /**
   * Resolves once the hosts and their history window have been read from the bus the first time, so that a
   * gateway that starts serving then shows the recent past at once; or after `timeoutMs`, when the bus cannot
   * be reached, so that a gateway starts anyway.
   */
  async ready(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.caughtUp, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Follows the bus until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.running = true;
    this.checkLiveness();
    try {
      await this.opts.link.run(this, signal);
    } finally {
      this.running = false;
      clearTimeout(this.liveness);
      this.feed?.stop();
      this.watcher?.stop();
    }
  }

  async connected(nc: NatsConnection): Promise<void> {
    const { names } = this.opts.link;
    // A refused subscription calls back once with an error and an empty message (the connection reports the
    // refusal): reading that message would throw inside the client and leave the connection stale.
    nc.subscribe(names.allHosts('heartbeat'), {
      callback: (e, m) => {
        if (!e) this.onHeartbeat(m.subject, m.data);
      },
    });
    nc.subscribe(names.allHosts('events'), {
      callback: (e, m) => {
        if (!e) this.onEvents(m.subject, m.data);
      },
    });
    const jsm = await jetstreamManager(nc);
    await this.ensureStream(jsm);
    const js = jetstream(nc);
    const kvm = new Kvm(js);
    this.kv = {
      hosts: await kvm.create(names.hostsBucket, { history: 1 }),
      // Long enough for any share link (30 days) and the week an ended one is remembered.
      shares: await kvm.create(names.sharesBucket, { history: 1, ttl: 37 * 24 * 3_600_000 }),
    };
    await this.watchHosts(this.kv.hosts);
    if (this.opts.shares) await this.opts.shares.persistence.attach(this.kv.shares, this.opts.shares.store);
    // Subscribed before the replay starts, so that nothing published meanwhile is missed; held until it ends.
    this.held = [];
    nc.subscribe(names.allHosts('samples'), {
      callback: (e, m) => {
        if (!e) this.onLive(m.subject, m.data);
      },
    });
    this.replay(nc, jsm);
  }

  async reconnected(nc: NatsConnection): Promise<void> {
    // The client subscribes again by itself; what was published while away is in the stream.
    this.held ??= [];
    const jsm = await jetstreamManager(nc);
    await this.ensureStream(jsm);
    this.replay(nc, jsm);
  }

  /** Makes the samples stream, or updates it to this gateway's history window. */
  private async ensureStream(jsm: JetStreamManager): Promise<void> {
    const { names } = this.opts.link;
    const config = {
      name: names.samplesStream,
      subjects: [names.allHosts('samples')],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(this.opts.historyMs),
      discard: DiscardPolicy.Old,
      // One message a tick per host, and room for an agent that splits a large tick in several.
      max_msgs_per_subject: Math.ceil(this.opts.historyMs / this.opts.intervalMs) * 4,
      num_replicas: 1,
    };
    try {
      await jsm.streams.add(config);
    } catch (e) {
      // 10058: the stream exists with other settings (another gateway's history window): take ours.
      if ((e as { code?: unknown }).code !== 10058 && (e as { api_error?: { err_code?: unknown } }).api_error?.err_code !== 10058) throw e;
      const { name, ...rest } = config;
      await jsm.streams.update(name, rest);
    }
  }

  /** Learns the hosts from their records, and waits until every record there now has been read. */
  private async watchHosts(kv: KV): Promise<void> {
    this.watcher?.stop();
    const empty = (await kv.status()).values === 0;
    const watch = await kv.watch();
    this.watcher = watch;
    let initialDone: () => void = () => {};
    const initial = new Promise<void>((resolve) => (initialDone = resolve));
    if (empty) initialDone();
    void (async () => {
      for await (const e of watch) {
        this.onRecord(e);
        if (e.delta === 0) initialDone();
      }
    })().catch((e: unknown) => this.log.debug('hosts bucket watch ended', { error: e instanceof Error ? e.message : String(e) }));
    await initial;
  }

  private onRecord(e: KvWatchEntry): void {
    const name = e.key;
    if (!isHostName(name)) return this.refuse('bad-subject', name, `hosts bucket key "${name.slice(0, 80)}" is not a host name`);
    if (e.operation !== 'PUT') {
      // An operator deleted the host's record: the host is forgotten.
      const gone = this.known.get(name);
      if (!gone) return;
      this.known.delete(name);
      this.opts.hosts.remove(name);
      this.log.info('host forgotten: its record was deleted', { host: name });
      return;
    }
    const record = parseHostRecord(e.value, name);
    if (!record.ok) return this.refuse(record.error.reason, name, record.error.detail);
    const host = this.known.get(name);
    if (host) {
      host.applyRecord(record.value);
      return this.watchLiveness(host);
    }
    if (name === this.opts.localHost) {
      this.reportOnce(`local:${name}`, 'an agent publishes the host this gateway reads itself; the gateway serves its own reading', name);
      return;
    }
    const created = new BusHost(name, record.value, `agent via ${this.opts.link.state.servers}`, this.now);
    this.known.set(name, created);
    this.opts.hosts.add(created);
    this.watchLiveness(created);
    this.log.info('host heard on the bus', { host: name, containers: record.value.containers.length });
  }

  /**
   * Replays the stream, in the background, from the start of the history window (the first time) or from just
   * before the last live message (after the connection was away), up to the last message in it now; then
   * applies the live messages held meanwhile and hears them as they come. Replayed samples are history
   * whoever sent them: they never make an agent the one served.
   */
  private replay(nc: NatsConnection, jsm: JetStreamManager): void {
    this.feed?.stop();
    const replay = ++this.replays;
    const { names } = this.opts.link;
    const since = this.lastLiveAt === undefined ? this.now() - this.opts.historyMs : this.lastLiveAt - RESUME_OVERLAP_MS;
    void (async () => {
      const until = (await jsm.streams.info(names.samplesStream)).state.last_seq;
      const from = await this.firstSeqAfter(jsm, since);
      if (from > until || replay !== this.replays) return;
      // Started by sequence, never by time: the client cannot recover an ordered consumer started by time.
      const consumer = await jetstream(nc).consumers.get(names.samplesStream, {
        filter_subjects: names.allHosts('samples'),
        opt_start_seq: from,
      });
      const feed = await consumer.consume({ max_messages: 256 });
      this.feed = feed;
      try {
        for await (const m of feed) {
          if (replay !== this.replays) break;
          this.onSamples(m.subject, m.data, false);
          if (m.seq >= until) break;
        }
      } finally {
        feed.stop();
      }
    })()
      .catch((e: unknown) =>
        this.log.warn('the samples stream could not be replayed', { error: e instanceof Error ? e.message : String(e) }),
      )
      .finally(() => {
        if (replay !== this.replays) return;
        const held = this.held ?? [];
        this.held = undefined;
        for (const m of held) this.onLive(m.subject, m.data);
        this.markCaughtUp();
      });
  }

  /** A samples message heard live: applied, or held while the stream is replayed. */
  private onLive(subject: string, data: Uint8Array): void {
    if (this.held) {
      if (this.held.length < MAX_HELD_MESSAGES) this.held.push({ subject, data });
      else if (this.heldDropped++ === 0)
        this.log.warn('live samples dropped while the stream is replayed: too many came', { held: MAX_HELD_MESSAGES });
      return;
    }
    this.lastLiveAt = this.now();
    this.onSamples(subject, data, true);
  }

  /** The first sequence of the stream at or after `time`, found with a consumer that is deleted at once. */
  private async firstSeqAfter(jsm: JetStreamManager, time: number): Promise<number> {
    const { names } = this.opts.link;
    const probe = await jsm.consumers.add(names.samplesStream, {
      name: `dockpulse_probe_${Math.random().toString(36).slice(2, 12)}`,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(time).toISOString(),
      filter_subject: names.allHosts('samples'),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      inactive_threshold: nanos(10_000),
    });
    jsm.consumers.delete(names.samplesStream, probe.name).catch(() => {});
    return probe.delivered.stream_seq + 1;
  }

  private hostOf(subject: string): BusHost | undefined {
    const parsed = parseHostSubject(this.opts.link.names, subject);
    if (!parsed) {
      this.refuse('bad-subject', subject.slice(0, 120), 'not a host subject');
      return undefined;
    }
    const host = this.known.get(parsed.host);
    // Samples of a host whose record was never read are ignored: nothing says what its containers are.
    if (!host && parsed.host !== this.opts.localHost) this.refuse('unknown-host', parsed.host, 'no record of this host');
    return host;
  }

  private onSamples(subject: string, data: Uint8Array, live: boolean): void {
    const host = this.hostOf(subject);
    if (!host) return;
    const message = parseSamplesMessage(data, host.host);
    if (!message.ok) return this.refuse(message.error.reason, host.host, message.error.detail);
    const { ignored, why } = host.applySamples(message.value, live);
    if (why !== undefined) this.rejected[why] += ignored;
    if (live) this.watchLiveness(host);
  }

  private onHeartbeat(subject: string, data: Uint8Array): void {
    const host = this.hostOf(subject);
    if (!host) return;
    const beat = parseHeartbeat(data);
    if (!beat.ok) return this.refuse(beat.error.reason, host.host, beat.error.detail);
    const ignored = host.applyHeartbeat(beat.value);
    if (ignored) this.refuse(ignored, host.host, `agent ${beat.value.agent} is not the one served`);
    this.watchLiveness(host);
  }

  private onEvents(subject: string, data: Uint8Array): void {
    const host = this.hostOf(subject);
    if (!host) return;
    const message = parseEventsMessage(data);
    if (!message.ok) return this.refuse(message.error.reason, host.host, message.error.detail);
    const ignored = host.applyEvents(message.value);
    if (ignored) this.rejected[ignored]++;
    this.watchLiveness(host);
  }

  /**
   * After a message from `host`: brings the liveness timer forward if the host may now go silent sooner, or,
   * when it is the host the timer waits for, moves the timer to whichever host may now go silent first.
   */
  private watchLiveness(host: BusHost): void {
    const at = host.nextCheckAt;
    if (at < this.livenessAt) this.armLiveness(at, host);
    else if (host === this.livenessFor) this.armLiveness(...this.firstToCheck());
  }

  /** Checks every host, and sets the timer for the next moment one of them could change. */
  private checkLiveness(): void {
    for (const h of this.known.values()) h.checkLiveness();
    this.armLiveness(...this.firstToCheck());
  }

  private firstToCheck(): [number, BusHost | undefined] {
    let at = Infinity;
    let first: BusHost | undefined;
    for (const h of this.known.values()) {
      const next = h.nextCheckAt;
      if (next < at) [at, first] = [next, h];
    }
    return [at, first];
  }

  /** Sets the timer for `at`, when `host` may go silent; moving a timer that has not fired wakes nothing. */
  private armLiveness(at: number, host: BusHost | undefined): void {
    clearTimeout(this.liveness);
    this.liveness = undefined;
    this.livenessAt = Infinity;
    this.livenessFor = undefined;
    if (!this.running || at === Infinity) return;
    this.livenessAt = at;
    this.livenessFor = host;
    this.liveness = setTimeout(() => this.checkLiveness(), Math.max(0, at - this.now()));
  }

  /** Counts a refused message; the first of each kind per host is logged as a warning, the rest at debug. */
  private refuse(reason: keyof BusRejections, host: string, detail: string): void {
    this.rejected[reason]++;
    const key = `${reason}:${host}`;
    if (this.reported.has(key)) {
      this.log.debug('bus message refused', { reason, host, detail });
      return;
    }
    if (this.reported.size < 1000) this.reported.add(key);
    this.log.warn('bus message refused', { reason, host, detail });
  }

  private reportOnce(key: string, message: string, host: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.log.warn(message, { host });
  }
}
