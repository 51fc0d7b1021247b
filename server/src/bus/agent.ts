/**
 * An agent beside an engine: it reads every container of its host (through the same sources a gateway
 * uses) and publishes, for its host, each tick's samples in one message, the host record (the container
 * list and the engine's state) whenever it changes, lifecycle events, and a heartbeat. It connects out to
 * NATS and opens no port. It never buffers: what cannot be published while the bus is away is dropped, since
 * gateways keep their history from what reached the bus.
 */
import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Sample } from '@dockpulse/shared';
import type { LifecycleEvent, StatsSource } from '../source/source.js';
import type { Logger } from '../log.js';
import type { BusHandlers, BusLink } from './connection.js';
import type { SampleFeed } from './source-feed.js';
import {
  BUS_VERSION,
  MAX_BUS_MESSAGE_BYTES,
  encode,
  parseHeartbeat,
  type HeartbeatMessage,
  type HostRecord,
  type SamplesMessage,
} from './messages.js';

export interface AgentOptions {
  /** The local engine, named as this host. */
  source: StatsSource;
  /**
   * Every sample of `source`'s containers: read straight from it (`SourceFeed`) by an agent on its own, or a
   * gateway's hub that reads every container anyway, where other hosts' samples pass too.
   */
  samples: SampleFeed;
  link: BusLink;
  /** Time between samples of a container; samples not yet sent after this long are sent anyway. */
  intervalMs: number;
  heartbeatMs: number;
  /** This software, e.g. `dockpulse/0.2.0`. */
  version: string;
  log: Logger;
}

/** A host record is put again this often, so that a gateway that lost it, or a bucket made late, gets it back. */
export const RECORD_REFRESH_MS = 30_000;

/** A refused or unanswered put of the host record is tried again after this. */
const RECORD_RETRY_MS = 2000;

/** Another agent claiming this host is reported at most this often. */
const CONFLICT_REPORT_MS = 60_000;

export class Agent implements BusHandlers {
  /** This run's id, in every message: two agents claiming one host are told apart by it. */
  readonly id = randomBytes(12).toString('base64url');
  readonly startedAt = Date.now();
  private readonly host: string;
  private readonly log: Logger;
  private pending: Sample[] = [];
  /**
   * Set by the first sample not yet sent, for an interval later: samples of a source whose readings have no
   * end (the engine's API) leave each interval, and so does what an unfinished run of readings gathered.
   */
  private flushTimer: NodeJS.Timeout | undefined;
  /** The heartbeat for when no samples carry it: each one sent puts it back. */
  private beatTimer: NodeJS.Timeout | undefined;
  private lastBeat = 0;
  /**
   * How early a heartbeat may leave with a tick's samples, and how late it may come when none go: an agent whose
   * ticks and heartbeats share an interval wakes once per tick, not twice.
   */
  private readonly beatSlackMs: number;
  private recordTimer: NodeJS.Timeout | undefined;
  private recordDirty = true;
  private events: LifecycleEvent[] = [];
  private lastConflictReport = 0;
  /** Messages published and refused since start, for tests and logs. */
  readonly counts = { samples: 0, messages: 0, records: 0, heartbeats: 0 };

  constructor(private readonly opts: AgentOptions) {
    this.host = opts.source.host;
    this.log = opts.log.with({ host: this.host, agent: this.id });
    this.beatSlackMs = Math.min(opts.intervalMs, opts.heartbeatMs) / 4;
  }

  /** Runs until `signal` aborts: follows the source, and keeps the bus connection. */
  async run(signal: AbortSignal): Promise<void> {
    const { source, samples, link } = this.opts;
    const offs = [
      // The feed may be a gateway's hub, with other hosts on it: only this host's samples are its to publish.
      samples.onSample((s) => {
        if (s.host !== this.host) return;
        this.pending.push(s);
        this.flushTimer ??= setTimeout(() => this.flushSamples(), this.opts.intervalMs);
      }),
      // A tick's last run of readings sends the tick at once, in one message.
      source.onBatchEnd?.((last) => {
        if (last) this.flushSamples();
      }) ?? (() => {}),
      source.containers.onChange(() => this.recordChanged()),
      source.onLifecycle?.((e) => this.event(e)) ?? (() => {}),
    ];
    this.beatTimer = setTimeout(() => this.heartbeat(), this.opts.heartbeatMs);
    this.log.info('agent publishing', { servers: link.state.servers, subjects: link.names.host(this.host, 'samples') });
    try {
      await link.run(this, signal);
    } finally {
      for (const off of offs) off();
      clearTimeout(this.flushTimer);
      clearTimeout(this.beatTimer);
      clearTimeout(this.recordTimer);
    }
  }

  async connected(nc: NatsConnection): Promise<void> {
    // Another agent claiming this host's name is reported, never merged: gateways serve one of them.
    const names = this.opts.link.names;
    nc.subscribe(names.host(this.host, 'heartbeat'), {
      callback: (e, m) => {
        // A subscription the server refuses ends here with an error and an empty message; the connection reports
        // the refusal. Reading the empty message would throw inside the client and leave the connection stale.
        if (e) return;
        const beat = parseHeartbeat(m.data);
        if (!beat.ok || beat.value.agent === this.id) return;
        const now = Date.now();
        if (now - this.lastConflictReport < CONFLICT_REPORT_MS) return;
        this.lastConflictReport = now;
        this.log.error('another agent is publishing as this host: give one of them another DOCKPULSE_HOST_NAME', {
          other: beat.value.agent,
          otherStartedAt: new Date(beat.value.startedAt).toISOString(),
        });
      },
    });
    this.recordChanged();
    await Promise.resolve();
  }

  async reconnected(): Promise<void> {
    // Whatever was published while away was dropped by the client: the record goes again at once.
    this.recordChanged();
    await Promise.resolve();
  }

  /**
   * Publishes the samples gathered since the last time, split where one message would be too large, and the
   * heartbeat with them when it is nearly due.
   */
  private flushSamples(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.sendSamples();
    if (Date.now() - this.lastBeat >= this.opts.heartbeatMs - this.beatSlackMs) this.heartbeat();
  }

  private sendSamples(): void {
    if (this.pending.length === 0) return;
    const samples = this.pending;
    this.pending = [];
    const nc = this.opts.link.connection;
    if (!nc) return;
    const subject = this.opts.link.names.host(this.host, 'samples');
    const limit = Math.min(nc.info?.max_payload ?? MAX_BUS_MESSAGE_BYTES, MAX_BUS_MESSAGE_BYTES);
    const send = (part: Sample[]): void => {
      const message: SamplesMessage = { v: BUS_VERSION, agent: this.id, t: Date.now(), samples: part };
      const bytes = encode(message);
      if (bytes.byteLength > limit && part.length > 1) {
        const half = Math.ceil(part.length / 2);
        send(part.slice(0, half));
        send(part.slice(half));
        return;
      }
      try {
        nc.publish(subject, bytes);
        this.counts.messages++;
        this.counts.samples += part.length;
      } catch (e) {
        this.log.warn('a samples message could not be published', {
          error: e instanceof Error ? e.message : String(e),
          bytes: bytes.byteLength,
        });
      }
    };
    send(samples);
  }

  private heartbeat(): void {
    clearTimeout(this.beatTimer);
    this.beatTimer = setTimeout(() => this.heartbeat(), this.opts.heartbeatMs + this.beatSlackMs);
    this.lastBeat = Date.now();
    const nc = this.opts.link.connection;
    if (!nc) return;
    const list = this.opts.source.containers;
    const all = list.all();
    const beat: HeartbeatMessage = {
      v: BUS_VERSION,
      agent: this.id,
      t: Date.now(),
      startedAt: this.startedAt,
      everyMs: this.opts.heartbeatMs,
      engine: list.engineStatus,
      containers: all.length,
      running: all.filter((c) => c.state === 'running').length,
      server: this.opts.version,
    };
    nc.publish(this.opts.link.names.host(this.host, 'heartbeat'), encode(beat));
    this.counts.heartbeats++;
  }

  private event(e: LifecycleEvent): void {
    this.events.push(e);
    if (this.events.length > 1) return;
    // Events of one engine burst (a compose up) leave together.
    queueMicrotask(() => {
      const events = this.events;
      this.events = [];
      const nc = this.opts.link.connection;
      if (!nc) return;
      nc.publish(this.opts.link.names.host(this.host, 'events'), encode({ v: BUS_VERSION, agent: this.id, t: Date.now(), events }));
    });
  }

  /** The record is put soon after a change, and again every so often. */
  private recordChanged(): void {
    this.recordDirty = true;
    clearTimeout(this.recordTimer);
    this.recordTimer = setTimeout(() => void this.putRecord(), 50);
  }

  private async putRecord(): Promise<void> {
    this.recordTimer = undefined;
    const nc = this.opts.link.connection;
    if (!nc) return;
    const list = this.opts.source.containers;
    // Until the engine was reached there is nothing true to say about the host.
    if (!list.isSettled) {
      this.recordTimer = setTimeout(() => void this.putRecord(), RECORD_RETRY_MS);
      return;
    }
    const record: HostRecord = {
      v: BUS_VERSION,
      agent: this.id,
      t: Date.now(),
      startedAt: this.startedAt,
      everyMs: this.opts.heartbeatMs,
      engine: list.engineStatus,
      containers: list.all(),
    };
    this.recordDirty = false;
    let retryIn = RECORD_REFRESH_MS;
    try {
      // A put into the hosts bucket is a publish to its subject; the bucket's stream acknowledges it.
      const reply = await nc.request(`$KV.${this.opts.link.names.hostsBucket}.${this.host}`, encode(record), { timeout: RECORD_RETRY_MS });
      const ack: unknown = reply.json();
      if (typeof ack !== 'object' || ack === null || !('seq' in ack))
        throw new Error(`the hosts bucket refused the record: ${reply.string()}`);
      this.counts.records++;
    } catch (e) {
      // No bucket yet (no gateway has made it), a refusal, or no answer: try again soon.
      this.log.debug('the host record was not stored', { error: e instanceof Error ? e.message : String(e) });
      this.recordDirty = true;
      retryIn = RECORD_RETRY_MS;
    }
    if (this.recordTimer === undefined)
      this.recordTimer = setTimeout(() => void this.putRecord(), this.recordDirty ? retryIn : RECORD_REFRESH_MS);
  }
}
