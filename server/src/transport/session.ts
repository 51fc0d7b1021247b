import {
  ALERTS_TOPIC,
  CloseCode,
  ErrorCode,
  assertNever,
  parseClientMessage,
  parseTopic,
  type ClientMessage,
  type ErrorMessage,
  type Limits,
  MAX_SHARED_HISTORY_POINTS,
  type RangeRequestMessage,
  type Scope,
} from '@dockpulse/shared';
import type { History } from '../history/history.js';
import type { AlertFeed } from '../alerts/alert-feed.js';
import type { ShareClaims } from '../auth/signed-token.js';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { Outbox, type OutboxLimits } from '../hub/outbox.js';
import type { Hub } from '../hub/hub.js';
import type { HostSet } from '../hosts/host-set.js';
import { resolveShareScope, resolveStatsTopic } from '../hosts/resolve.js';
import { TokenBucket } from '../limits/token-bucket.js';
import { ReplayBudget, gatewayReplayBudget } from '../limits/replay-budget.js';
import { textFrame, writeFrame } from './ws-frame.js';
import { closeWithin } from './close-socket.js';
import { errorFrame, helloFrame, pongFrame, rangeFrame } from '../protocol/frames.js';
import type { Logger } from '../log.js';

/** What every session needs from the gateway. */
export interface SessionContext {
  hub: Hub;
  hosts: HostSet;
  /** The host an old share link (made before the gateway served several hosts) is taken to mean. */
  defaultHost: string;
  limits: Limits;
  outbox: OutboxLimits;
  intervalMs: number;
  historyMs: number;
  version: string;
  /** Range queries are answered from it. */
  history: History;
  /**
   * Topics that may be open at once, across the gateway, for containers their host does not list (taken on
   * trust while it does not answer).
   */
  maxUnlistedTopics: number;
  /** The `alerts` topic, when the gateway evaluates alerts. */
  alerts?: AlertFeed | undefined;
  /** The history every share socket together may be sent; one of its own when absent. */
  shareReplay?: TokenBucket | undefined;
  log: Logger;
}

/** What a socket was opened with: full access, or a share link's claims. */
export type Access = { kind: 'all' } | { kind: 'share'; claims: ShareClaims };

/** Rate-limited messages a client may send after being told to slow down, before it is disconnected. */
const IGNORED_BEFORE_CLOSE = 100;

/** How long a rate-limited client must keep to the limit before its count of ignored messages restarts. */
const FORGIVE_AFTER_MS = 1000;

/**
 * How long a slow consumer has, once closed, to read what its connection already holds and the close frame after
 * it; then the connection is dropped, and a client that still reads nothing never sees the close frame.
 */
export const SLOW_CLOSE_DEADLINE_MS = 5000;

/**
 * One client socket: parses its frames, applies the limits, maps subscriptions onto hub topics, and owns
 * the socket's outbox.
 */
export class Session {
  readonly outbox: Outbox;
  private readonly bucket: TokenBucket;
  private ignored = 0;
  /** When a message was last ignored for the rate limit, while the client is being limited. */
  private limitedAt: number | undefined;
  private readonly log: Logger;
  private scope: Scope;
  /** How much history a share socket may still be sent; operator sockets are not bounded. */
  private readonly replay: ReplayBudget | undefined;
  /** Set once the session let go of its client: whatever arrives after is ignored. */
  private ended = false;

  /** @param socket the connection under `ws`, written to directly for frames shared with other sockets */
  constructor(
    private readonly ws: WebSocket,
    socket: Duplex,
    private readonly ctx: SessionContext,
    clientId: string,
    readonly access: Access = { kind: 'all' },
  ) {
    this.log = ctx.log.with({ client: clientId });
    this.bucket = new TokenBucket(ctx.limits.messagesPerSecond, ctx.limits.messageBurst);
    this.outbox = new Outbox(
      {
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        send: (frame) => {
          if (typeof frame === 'string') return ws.send(frame, { binary: false });
          // Framed once for every socket of the tick, then one write here.
          frame.wire ??= textFrame(frame.payload);
          writeFrame(ws, socket, frame.wire);
        },
        closeSlow: () => this.closeSlow(),
      },
      ctx.outbox,
      Date.now,
      ctx.hub.frames,
    );
    if (access.kind === 'share') {
      ctx.shareReplay ??= gatewayReplayBudget(ctx.historyMs, ctx.intervalMs);
      this.replay = new ReplayBudget(ctx.historyMs, ctx.intervalMs, ctx.shareReplay);
    }
    this.scope = this.resolveScope();
    this.hello();
  }

  /**
   * Re-reads which container a share that follows a name points at; when it was re-created, the old
   * container's topic is dropped and a new `hello` names the new one.
   */
  refreshScope(): void {
    const next = this.resolveScope();
    const current = this.scope;
    if (next.kind !== 'container' || current.kind !== 'container' || (next.id === current.id && next.host === current.host)) return;
    this.ctx.hub.unsubscribeContainer(this.outbox, current.host, current.id);
    this.scope = next;
    this.hello();
  }

  private resolveScope(): Scope {
    if (this.access.kind === 'all') return { kind: 'all' };
    return resolveShareScope(this.ctx.hosts, this.access.claims, this.ctx.defaultHost);
  }

  private hello(): void {
    const frame = helloFrame({
      server: this.ctx.version,
      intervalMs: this.ctx.intervalMs,
      historyMs: this.ctx.historyMs,
      limits: this.ctx.limits,
      scope: this.scope,
      ...(this.scope.kind === 'all' ? { hosts: this.ctx.hosts.hosts() } : {}),
    });
    this.ctx.hub.send(this.outbox, frame);
  }

  /** Handles one frame from the client. */
  receive(data: Buffer, isBinary: boolean): void {
    // Frames already read when the socket was let go of are not worth a look.
    if (this.ended) return;
    const now = Date.now();
    if (!this.bucket.take()) {
      if (this.limitedAt === undefined) {
        this.ignored = 0;
        this.error({
          code: ErrorCode.rateLimited,
          message: `more than ${this.ctx.limits.messagesPerSecond} messages a second; messages are being ignored`,
        });
      }
      this.limitedAt = now;
      if (++this.ignored > IGNORED_BEFORE_CLOSE) this.closeFlooder();
      return;
    }
    // A client is forgiven only after keeping to the limit for a while, so a steady flood that lets
    // a message through now and then still adds up to a close.
    if (this.limitedAt !== undefined && now - this.limitedAt >= FORGIVE_AFTER_MS) this.limitedAt = undefined;
    if (isBinary) {
      this.error({ code: ErrorCode.binaryUnsupported, message: 'binary frames are not part of the protocol; send JSON text frames' });
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'), this.ctx.limits.maxSubscriptions);
    if (!parsed.ok) {
      this.error(parsed.error);
      return;
    }
    this.handle(parsed.value);
  }

  /** Releases every subscription. */
  close(): void {
    this.ctx.alerts?.unsubscribe(this.outbox);
    this.ctx.hub.detach(this.outbox);
  }

  private handle(msg: ClientMessage): void {
    switch (msg.type) {
      case 'ping':
        this.ctx.hub.send(this.outbox, pongFrame(Date.now()));
        return;
      case 'subscribe':
        for (const topic of msg.topics) this.subscribe(topic, msg.history);
        return;
      case 'unsubscribe':
        for (const topic of msg.topics) {
          if (topic === ALERTS_TOPIC) this.ctx.alerts?.unsubscribe(this.outbox);
          this.ctx.hub.unsubscribe(this.outbox, topic);
        }
        return;
      case 'range':
        this.range(msg);
        return;
      default:
        assertNever(msg);
    }
  }

  private range(msg: RangeRequestMessage): void {
    const { req } = msg;
    const topic = parseTopic(msg.topic);
    if (!topic.ok || topic.value.kind !== 'stats') {
      this.error({ code: ErrorCode.badTopic, message: 'a range names its container as a stats topic does', req });
      return;
    }
    const found = this.ctx.history.find(topic.value.host, topic.value.ref);
    const scope = this.scope;
    if (scope.kind === 'container' && (!found.ok || found.value.host !== scope.host || found.value.id !== scope.id)) {
      this.error({ code: ErrorCode.forbidden, message: 'this link only shows one container', req });
      return;
    }
    if (!found.ok) {
      this.error({ code: found.error.status === 404 ? ErrorCode.notFound : ErrorCode.badTopic, message: found.error.message, req });
      return;
    }
    const range = this.ctx.history.range(found.value, msg, MAX_SHARED_HISTORY_POINTS);
    if (!range.ok) {
      this.error({ code: range.error.status === 503 ? ErrorCode.unavailable : ErrorCode.badMessage, message: range.error.message, req });
      return;
    }
    this.ctx.hub.send(this.outbox, rangeFrame(req, range.value));
  }

  private subscribe(name: string, historySeconds: number | undefined): void {
    const topic = parseTopic(name);
    if (!topic.ok) {
      this.error(topic.error);
      return;
    }
    if (this.outbox.subscriptions.has(name)) return;
    const target = topic.value.kind === 'stats' ? resolveStatsTopic(this.ctx.hosts, topic.value.host, topic.value.ref) : undefined;
    const scope = this.scope;
    if (scope.kind === 'container' && !(topic.value.kind === 'stats' && namesScope(topic.value, target, scope))) {
      this.error({ code: ErrorCode.forbidden, message: 'this link only shows one container', topic: name });
      return;
    }
    if (this.outbox.subscriptions.size >= this.ctx.limits.maxSubscriptions) {
      this.error({
        code: ErrorCode.tooManySubscriptions,
        message: `a socket may hold at most ${this.ctx.limits.maxSubscriptions} subscriptions`,
        topic: name,
      });
      return;
    }
    switch (topic.value.kind) {
      case 'containers':
        this.ctx.hub.subscribeContainers(this.outbox);
        return;
      case 'alerts':
        if (!this.ctx.alerts) {
          this.error({ code: ErrorCode.unavailable, message: 'this gateway keeps no alerts', topic: name });
          return;
        }
        // Held in the outbox's list like any topic, so that it counts against the limit and is seen as held.
        this.outbox.subscriptions.set(name, name);
        this.ctx.alerts.subscribe(this.outbox);
        return;
      case 'stats': {
        if (!target?.ok) {
          if (target) this.error({ ...target.error, topic: name });
          return;
        }
        const { host, id } = target.value;
        const replay = this.replay;
        const unlisted = this.ctx.hosts.find(host, id) === undefined;
        if (unlisted && !this.ctx.hub.isOpen(host, id) && this.unlistedFull()) {
          this.error({
            code: ErrorCode.unavailable,
            message: `host "${host}" does not list this container and does not answer; at most ${this.ctx.maxUnlistedTopics} such containers can be watched until it does`,
            topic: name,
          });
          return;
        }
        this.ctx.hub.subscribeStats(
          this.outbox,
          host,
          id,
          name,
          historySeconds === undefined ? undefined : historySeconds * 1000,
          replay && ((wanted) => replay.grant(wanted)),
          unlisted,
        );
        return;
      }
      default:
        assertNever(topic.value);
    }
  }

  /**
   * True when no more topics may open for containers their host does not list. While a host does not answer, any
   * well-formed id is taken on trust, and each costs a topic with its own history and upstream: without a bound,
   * sockets naming random ids filled the memory (51,200 topics, 824 MiB).
   */
  private unlistedFull(): boolean {
    const hosts = this.ctx.hosts;
    return this.ctx.hub.unlistedTopics((host, id) => hosts.find(host, id) === undefined) >= this.ctx.maxUnlistedTopics;
  }

  private error(e: Omit<ErrorMessage, 'type'>): void {
    this.ctx.hub.send(this.outbox, errorFrame(e));
  }

  /**
   * Ends a client that kept sending after being told to slow down: one line in the log, its close frame, and
   * nothing more read from it. Without this, every frame `ws` went on reading during the close handshake
   * logged a line and closed again (a flood of two-byte frames made a million lines).
   */
  private closeFlooder(): void {
    this.ended = true;
    this.log.warn('closing client that ignores the rate limit', { ignored: this.ignored });
    this.ws.pause();
    closeWithin(this.ws, CloseCode.rateLimited, 'rate limit exceeded');
  }

  /**
   * Closes a reader that drained nothing for the stall timeout. Its queue is already dropped, so the close frame
   * follows only what the connection holds (at most the high-water mark and one frame): a reader that comes back
   * within the deadline reads that, then 4408. Dropping the connection sooner threw the close frame away with it.
   */
  private closeSlow(): void {
    this.ended = true;
    this.log.warn('closing slow consumer', { buffered: this.ws.bufferedAmount, dropped: this.outbox.droppedTotal });
    closeWithin(this.ws, CloseCode.slowConsumer, 'slow consumer', SLOW_CLOSE_DEADLINE_MS);
  }
}

/**
 * Whether a stats topic names a share socket's own container: resolved to it, or, when it no longer resolves
 * (removed), naming its id, so the socket is told it is gone rather than refused.
 */
function namesScope(
  topic: { host: string | undefined; ref: string },
  target: ReturnType<typeof resolveStatsTopic> | undefined,
  scope: { host: string; id: string },
): boolean {
  if (target?.ok) return target.value.host === scope.host && target.value.id === scope.id;
  return topic.ref === scope.id && (topic.host === undefined || topic.host === scope.host);
}
