/**
 * What agents put on the bus, as JSON: version 1 of each message, its encoder, and a parser that takes the
 * raw bytes of a message from anyone and returns a typed value or why it was refused. Nothing on the bus is
 * trusted: a message is bounded in size and in items, and every field is checked before it is believed.
 */
import {
  CONTAINER_STATES,
  HEALTH_STATUSES,
  err,
  isContainerId,
  isFiniteNumber,
  isObject,
  isOneOf,
  ok,
  parseContainerSummary,
  parseEngineStatus,
  parseSample,
  type ContainerSummary,
  type EngineStatus,
  type Result,
  type Sample,
} from '@dockpulse/shared';
import { LIFECYCLE_ACTIONS, type LifecycleEvent } from '../source/source.js';

/** The version every message carries; a gateway refuses others. */
export const BUS_VERSION = 1;

/** Largest message accepted (NATS's own default `max_payload`). */
export const MAX_BUS_MESSAGE_BYTES = 1024 * 1024;

/** Most samples, containers or events one message may carry. */
export const MAX_BUS_ITEMS = 10_000;

/** An agent's id: fresh at each start, so that two agents claiming one host can be told apart. */
const AGENT_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** Common to every message: the version, the agent that sent it, and when. */
interface Envelope {
  v: typeof BUS_VERSION;
  agent: string;
  /** When the agent sent it, ms since the epoch. */
  t: number;
}

/** `<prefix>.host.<host>.samples`: one tick's samples of every running container of the host. */
export interface SamplesMessage extends Envelope {
  samples: Sample[];
}

/** `<prefix>.host.<host>.heartbeat`: the agent is alive, and how its engine is. */
export interface HeartbeatMessage extends Envelope {
  /** When this agent started, ms since the epoch. */
  startedAt: number;
  /** How often the agent sends a heartbeat; three missed make the host unavailable. */
  everyMs: number;
  engine: EngineStatus;
  containers: number;
  running: number;
  /** The agent's software, e.g. `dockpulse/0.2.0`. */
  server: string;
}

/** `<prefix>.host.<host>.events`: lifecycle events, in the order the engine reported them. */
export interface EventsMessage extends Envelope {
  events: LifecycleEvent[];
}

/** The host's record in the hosts bucket: its containers and engine, put whenever they change. */
export interface HostRecord extends Envelope {
  startedAt: number;
  everyMs: number;
  engine: EngineStatus;
  containers: ContainerSummary[];
}

/** Why a message was refused: the reason names the counter it is counted under. */
export interface Refusal {
  reason: 'oversized' | 'malformed' | 'foreign';
  detail: string;
}

/** Encodes a message for the bus. */
export function encode(message: SamplesMessage | HeartbeatMessage | EventsMessage | HostRecord): Uint8Array {
  return Buffer.from(JSON.stringify(message));
}

/** The JSON object of a message and its envelope, or why not. */
function envelope(bytes: Uint8Array): Result<{ raw: Record<string, unknown>; agent: string; t: number }, Refusal> {
  if (bytes.byteLength > MAX_BUS_MESSAGE_BYTES) {
    return err({ reason: 'oversized', detail: `${bytes.byteLength} bytes; at most ${MAX_BUS_MESSAGE_BYTES}` });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return err({ reason: 'malformed', detail: 'not JSON' });
  }
  if (!isObject(raw)) return err({ reason: 'malformed', detail: 'not a JSON object' });
  if (raw['v'] !== BUS_VERSION) return err({ reason: 'malformed', detail: `version ${JSON.stringify(raw['v'])}, not ${BUS_VERSION}` });
  const { agent, t } = raw;
  if (typeof agent !== 'string' || !AGENT_ID.test(agent)) return err({ reason: 'malformed', detail: 'no valid "agent"' });
  if (!isFiniteNumber(t)) return err({ reason: 'malformed', detail: 'no valid "t"' });
  return ok({ raw, agent, t });
}

/** The items of an array field, bounded, each parsed by `parse`; undefined when any is malformed. */
function items<T>(v: unknown, parse: (x: unknown) => T | undefined): T[] | string {
  if (!Array.isArray(v)) return 'not an array';
  if (v.length > MAX_BUS_ITEMS) return `${v.length} items; at most ${MAX_BUS_ITEMS}`;
  const out: T[] = [];
  for (const x of v) {
    const item = parse(x);
    if (item === undefined) return `item ${out.length} is malformed`;
    out.push(item);
  }
  return out;
}

/** Parses a samples message heard on `host`'s subject; every sample must be of that host. */
export function parseSamplesMessage(bytes: Uint8Array, host: string): Result<SamplesMessage, Refusal> {
  const e = envelope(bytes);
  if (!e.ok) return e;
  const samples = items(e.value.raw['samples'], (x) => {
    const s = parseSample(x);
    return s && isContainerId(s.id) ? s : undefined;
  });
  if (typeof samples === 'string') return err({ reason: 'malformed', detail: `"samples": ${samples}` });
  const stray = samples.find((s) => s.host !== host);
  if (stray) return err({ reason: 'foreign', detail: `a sample of host "${stray.host}" on host "${host}"'s subject` });
  return ok({ v: BUS_VERSION, agent: e.value.agent, t: e.value.t, samples });
}

/** Parses a heartbeat. */
export function parseHeartbeat(bytes: Uint8Array): Result<HeartbeatMessage, Refusal> {
  const e = envelope(bytes);
  if (!e.ok) return e;
  const { startedAt, everyMs, containers, running, server } = e.value.raw;
  const engine = parseEngineStatus(e.value.raw['engine']);
  if (!isFiniteNumber(startedAt) || !isFiniteNumber(everyMs) || everyMs < 100 || everyMs > 600_000) {
    return err({ reason: 'malformed', detail: 'no valid "startedAt" or "everyMs"' });
  }
  if (!engine || !isFiniteNumber(containers) || !isFiniteNumber(running) || typeof server !== 'string' || server.length > 100) {
    return err({ reason: 'malformed', detail: 'no valid "engine", "containers", "running" or "server"' });
  }
  return ok({ v: BUS_VERSION, agent: e.value.agent, t: e.value.t, startedAt, everyMs, engine, containers, running, server });
}

function parseEvent(v: unknown): LifecycleEvent | undefined {
  if (!isObject(v)) return undefined;
  const { id, name, action, t, exitCode, health } = v;
  if (typeof id !== 'string' || !isContainerId(id) || typeof name !== 'string' || name.length > 256) return undefined;
  if (!isOneOf(LIFECYCLE_ACTIONS, action) || !isFiniteNumber(t)) return undefined;
  const event: LifecycleEvent = { id, name, action, t };
  if (exitCode !== undefined) {
    if (!isFiniteNumber(exitCode)) return undefined;
    event.exitCode = exitCode;
  }
  if (health !== undefined) {
    if (!isOneOf(HEALTH_STATUSES, health)) return undefined;
    event.health = health;
  }
  return event;
}

/** Parses an events message. */
export function parseEventsMessage(bytes: Uint8Array): Result<EventsMessage, Refusal> {
  const e = envelope(bytes);
  if (!e.ok) return e;
  const events = items(e.value.raw['events'], parseEvent);
  if (typeof events === 'string') return err({ reason: 'malformed', detail: `"events": ${events}` });
  return ok({ v: BUS_VERSION, agent: e.value.agent, t: e.value.t, events });
}

/** Parses a host record kept under `host`'s key; every container must be of that host. */
export function parseHostRecord(bytes: Uint8Array, host: string): Result<HostRecord, Refusal> {
  const e = envelope(bytes);
  if (!e.ok) return e;
  const { startedAt, everyMs } = e.value.raw;
  const engine = parseEngineStatus(e.value.raw['engine']);
  if (!isFiniteNumber(startedAt) || !isFiniteNumber(everyMs) || everyMs < 100 || everyMs > 600_000 || !engine) {
    return err({ reason: 'malformed', detail: 'no valid "startedAt", "everyMs" or "engine"' });
  }
  const containers = items(e.value.raw['containers'], (x) => {
    const c = parseContainerSummary(x);
    return c && isContainerId(c.id) && isOneOf(CONTAINER_STATES, c.state) ? c : undefined;
  });
  if (typeof containers === 'string') return err({ reason: 'malformed', detail: `"containers": ${containers}` });
  const stray = containers.find((c) => c.host !== host);
  if (stray) return err({ reason: 'foreign', detail: `a container of host "${stray.host}" in host "${host}"'s record` });
  return ok({ v: BUS_VERSION, agent: e.value.agent, t: e.value.t, startedAt, everyMs, engine, containers });
}
