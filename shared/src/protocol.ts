/**
 * The dockpulse WebSocket protocol, version 1: every frame either side may send, the error codes and close
 * codes, and the limits a server enforces. `docs/protocol.md` describes the same contract for embedders; a
 * change here is a change there. Change by adding optional fields; a breaking change gets a new subprotocol.
 */
import type { AlertNotice } from './alerts.js';
import type { HistoryMetric, HistoryRange } from './history.js';

/** The WebSocket subprotocol a client offers and the server selects. */
export const PROTOCOL = 'dockpulse.v1' as const;

/** A browser, which cannot set headers on a WebSocket, offers its token as the subprotocol `<prefix><base64url(token)>`. */
export const TOKEN_PROTOCOL_PREFIX = 'dockpulse.token.' as const;

/** Topic carrying the container list. */
export const CONTAINERS_TOPIC = 'containers' as const;

/** Topic carrying the alerts firing now, and each change of them. The operator's only: share links may not hold it. */
export const ALERTS_TOPIC = 'alerts' as const;

/**
 * Prefix of a per-container stats topic: `stats:<host>/<id or name>`, or the first version's `stats:<id>`, which
 * names a container by its full id alone (on whichever host has it).
 */
export const STATS_TOPIC_PREFIX = 'stats:' as const;

/**
 * A host's name: a letter or digit, then letters, digits, `_` and `-`, at most 63 in all. It is one token of a
 * bus subject and one segment of a path, so it has no dots, slashes or spaces.
 */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** A container name as the engine allows it (without the leading slash). */
export const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Limits a server enforces on every socket. The actual values are sent in `hello`. */
export const DEFAULT_LIMITS = {
  /** Largest client frame in bytes; a larger one closes the socket with `CloseCode.tooBig`. */
  maxPayloadBytes: 64 * 1024,
  /** Topics one socket may hold at once. */
  maxSubscriptions: 256,
  /** Sustained client messages per second. */
  messagesPerSecond: 20,
  /** Messages a client may send in a burst above the sustained rate. */
  messageBurst: 40,
} as const;

/** Longest topic string accepted (`stats:`, a host name, `/` and a full id or a name fit). */
export const MAX_TOPIC_LENGTH = 200;

/**
 * WebSocket close codes the server uses. 4xxx codes mirror the HTTP status of the same meaning.
 */
export const CloseCode = {
  /** The client or server ended the session normally. */
  normal: 1000,
  /** The server is shutting down; reconnect later. */
  goingAway: 1001,
  /** A text frame was not valid UTF-8 (the WebSocket layer's own check). */
  invalidText: 1007,
  /** A client frame exceeded `maxPayloadBytes`. */
  tooBig: 1009,
  /** The server failed; reconnect later. */
  internalError: 1011,
  /** The client broke the protocol (for example, offered only unknown subprotocols). */
  protocolViolation: 4400,
  /** No valid token was presented where one is required. */
  unauthorized: 4401,
  /** The token is valid but does not allow this. */
  forbidden: 4403,
  /**
   * A timeout: the client read too slowly for too long (its queue was dropped), or did not answer the server's
   * ping within the heartbeat interval. The reason says which.
   */
  slowConsumer: 4408,
  /** The token that opened this socket expired or was revoked. */
  tokenExpired: 4410,
  /** The client kept sending faster than the rate limit after being told to slow down. */
  rateLimited: 4429,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Codes carried by `error` frames. The socket stays open after any of them. */
export const ErrorCode = {
  /** The frame was not valid JSON. */
  badJson: 'bad_json',
  /** The frame was JSON but not a valid message (missing or wrongly typed fields). */
  badMessage: 'bad_message',
  /** The message `type` is not one this server knows. */
  unknownType: 'unknown_type',
  /** A binary frame arrived; the protocol is JSON text frames only. */
  binaryUnsupported: 'binary_unsupported',
  /** A topic string is malformed. */
  badTopic: 'bad_topic',
  /** The host or container named by a stats topic does not exist. */
  notFound: 'not_found',
  /** Subscribing would exceed `maxSubscriptions`. */
  tooManySubscriptions: 'too_many_subscriptions',
  /** Messages are arriving faster than the rate limit; they are being ignored. */
  rateLimited: 'rate_limited',
  /** The token in use does not allow this topic. */
  forbidden: 'forbidden',
  /** The gateway keeps no history (or could not read it): a `range` request cannot be answered now. */
  unavailable: 'unavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Every state of a stats topic. */
export const TOPIC_STATES = ['running', 'paused', 'stopped', 'removed', 'unavailable'] as const;
/** The state of a stats topic. */
export type TopicState = (typeof TOPIC_STATES)[number];

/** Every state the Docker engine gives a container. */
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
/** The Docker engine's own state for a container. */
export type ContainerState = (typeof CONTAINER_STATES)[number];

/** Every health check status. */
export const HEALTH_STATUSES = ['starting', 'healthy', 'unhealthy'] as const;
/** A container's health check status, when it has one. */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** One container in the `containers` list. Never carries environment, mounts, command line or labels. */
export interface ContainerSummary {
  /** The host it runs on. */
  host: string;
  /** Full 64-hex-digit id. */
  id: string;
  /** Name without the leading slash. */
  name: string;
  image: string;
  state: ContainerState;
  /** Docker's human status, for example `Up 3 minutes (healthy)`. */
  status: string;
  health?: HealthStatus;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  compose?: { project: string; service: string };
}

/** A host's state: `unavailable` while it does not answer (its engine, or its agent, is silent). */
export type HostState = 'up' | 'unavailable';

/** One host a gateway serves: the local engine, a remote engine, or an agent heard on the bus. */
export interface HostInfo {
  name: string;
  state: HostState;
  /** When the host was last heard from, ms since the epoch; null when it never was. */
  lastSeen: number | null;
  /** Containers listed, and those of them running. */
  containers: number;
  running: number;
  /** The host's engine, as the gateway or the host's agent reaches it. */
  engine: EngineStatus;
  /** How the gateway hears of the host: it reads the engine itself, or the host's agent publishes it on the bus. */
  via?: 'engine' | 'agent';
  /** Present while two agents claim this host's name: which one is served, and that another was heard. */
  conflict?: string;
}

/** Where the gateway reaches the Docker engine and whether it answers. */
export interface EngineStatus {
  status: 'up' | 'down';
  /** The endpoint tried, for example `unix:///var/run/docker.sock`. */
  endpoint: string;
  /** Why the engine is down, when it is. */
  error?: string;
}

/** The figures of a sample that an engine may not report: memory, network, block I/O. */
export const UNREPORTED_FIGURES = ['mem', 'net', 'blk'] as const;
export type UnreportedFigure = (typeof UNREPORTED_FIGURES)[number];

/**
 * One reading of one container, computed as `docker stats` computes it. Counters are totals since the
 * container started; rates are per second over the interval since the previous sample, null when there is none.
 */
export interface Sample {
  /** The host the container runs on. */
  host: string;
  /** Full container id. */
  id: string;
  /** The engine's read time, ms since the epoch. */
  t: number;
  /** CPU % of one core (200 = two full cores); null on the first sample after a gap. */
  cpu: number | null;
  /**
   * CPU time used since the container started, seconds (the kernel's counter: it goes on across the
   * gateway's restarts and starts again from 0 with the container). Optional: gateways before it omit it.
   */
  cpuTime?: number;
  mem: {
    /** Bytes in use, less the inactive file cache, as `docker stats` shows. */
    used: number;
    /** Bytes the container may use (the host's memory when it has no limit). */
    limit: number;
    /** `used / limit × 100`; null when the limit is unknown. */
    percent: number | null;
    /** Bytes charged to the container, page cache included (`used` is this less the inactive file cache). Optional. */
    charged?: number;
  };
  net: { rx: number; tx: number; rxRate: number | null; txRate: number | null };
  blk: { read: number; write: number; readRate: number | null; writeRate: number | null };
  /** Processes and threads; null when the engine does not report them. */
  pids: number | null;
  /**
   * Figures the engine does not report for this container, whose numbers above are 0 and mean nothing: a
   * rootless Podman reports no network, nor memory or block I/O without their cgroup controller. A UI shows
   * them as "not reported", never as 0. Absent when every figure is reported. Optional: gateways before it omit it.
   */
  unreported?: UnreportedFigure[];
  /** Samples of this topic dropped for this socket since the last one it received, when any were. */
  dropped?: number;
}

/** Limits as advertised in `hello`. */
export interface Limits {
  maxPayloadBytes: number;
  maxSubscriptions: number;
  messagesPerSecond: number;
  messageBurst: number;
}

// ---- client → server ----

export interface SubscribeMessage {
  type: 'subscribe';
  topics: string[];
  /** Seconds of history wanted for the stats topics subscribed here; all that is kept when absent. */
  history?: number;
}
export interface UnsubscribeMessage {
  type: 'unsubscribe';
  topics: string[];
}
export interface PingMessage {
  type: 'ping';
}
/**
 * Asks for a container's stored history: `topic` names the container as a stats topic does; the answer is a
 * `range` message with the same `req`, or an `error` carrying it.
 */
export interface RangeRequestMessage {
  type: 'range';
  /** The client's name for this request, echoed in the answer: 1 to 64 letters, digits, `_` or `-`. */
  req: string;
  topic: string;
  /** ms since the epoch. */
  from: number;
  to: number;
  /** Seconds between points; the gateway picks when absent. */
  step?: number;
  /** The figures wanted; every one when absent. */
  metrics?: HistoryMetric[];
}
/** Every message a client may send. */
export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PingMessage | RangeRequestMessage;

// ---- server → client ----

export interface HelloMessage {
  type: 'hello';
  protocol: typeof PROTOCOL;
  /** Server name and version, for example `dockpulse/0.1.0`. */
  server: string;
  /** How often each container is sampled. */
  intervalMs: number;
  /** How much history a stats topic keeps. */
  historyMs: number;
  limits: Limits;
  /**
   * What this socket may see: everything, or (share links) one container. A share that follows a container
   * by name gets a new `hello` when the container is re-created under that name.
   */
  scope: Scope;
  /** The hosts this gateway serves, when the socket may see them (not with a share token). */
  hosts?: HostInfo[];
}

/** What a socket may see. */
export type Scope = { kind: 'all' } | { kind: 'container'; host: string; id: string; name: string };
export interface ContainersMessage {
  type: 'containers';
  /** Every container of every host, sorted by name, then host. */
  containers: ContainerSummary[];
  /**
   * With one host, its engine. With several, `up` while every host answers, else `down` with an `error`
   * naming the hosts that do not; `hosts` has each one's own.
   */
  engine: EngineStatus;
  /** Every host, sorted by name. */
  hosts: HostInfo[];
}
export interface HistoryMessage {
  type: 'history';
  topic: string;
  samples: Sample[];
}
export interface StatsMessage {
  type: 'stats';
  samples: Sample[];
}
export interface StateMessage {
  type: 'state';
  topic: string;
  state: TopicState;
}
export interface PongMessage {
  type: 'pong';
  /** Server time, ms since the epoch. */
  t: number;
}
/**
 * On the `alerts` topic: every alert firing now (each notice's `time` is when it fired), sent whole when
 * subscribed and after every change; `change` is the firing or resolution that caused it, absent in the first.
 */
export interface AlertsMessage {
  type: 'alerts';
  firing: AlertNotice[];
  change?: AlertNotice;
}
/** The answer to a `range` request. */
export interface RangeMessage {
  type: 'range';
  req: string;
  range: HistoryRange;
}
export interface ErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
  topic?: string;
  /** The `range` request this answers, when it answers one. */
  req?: string;
}
/** Every message a server may send. */
export type ServerMessage =
  | HelloMessage
  | ContainersMessage
  | HistoryMessage
  | StatsMessage
  | StateMessage
  | PongMessage
  | RangeMessage
  | AlertsMessage
  | ErrorMessage;

/**
 * A parsed topic. A stats topic names a container on a host by id or name (`host` and `ref`), or, in the
 * first version's form, by full id alone (`host` undefined, `ref` the id).
 */
export type Topic = { kind: 'containers' } | { kind: 'alerts' } | { kind: 'stats'; host: string | undefined; ref: string };

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/** True for a full 64-hex-digit container id. */
export function isContainerId(s: string): boolean {
  return CONTAINER_ID.test(s);
}

/** The first version's stats topic of a container, by full id alone: `stats:<id>`. */
export function statsTopic(id: string): string {
  return STATS_TOPIC_PREFIX + id;
}

/** The stats topic of a container on a host: `stats:<host>/<id or name>`. */
export function hostStatsTopic(host: string, ref: string): string {
  return `${STATS_TOPIC_PREFIX}${host}/${ref}`;
}

/** True for a well-formed host name. */
export function isHostName(s: string): boolean {
  return HOST_NAME.test(s);
}
