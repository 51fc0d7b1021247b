import {
  CONTAINER_STATES,
  ErrorCode,
  HEALTH_STATUSES,
  PROTOCOL,
  TOPIC_STATES,
  UNREPORTED_FIGURES,
  type AlertsMessage,
  type ContainerSummary,
  type EngineStatus,
  type HelloMessage,
  type HostInfo,
  type Limits,
  type Sample,
  type Scope,
  type ServerMessage,
} from './protocol.js';
import { err, ok, type Result } from './result.js';
import { parseHistoryRange } from './history.js';
import { parseAlertNotice, type AlertNotice } from './alerts.js';
import { isFiniteNumber, isNumberOrNull, isObject, isOneOf, type JsonObject } from './guards.js';

const ERROR_CODES: readonly ErrorCode[] = Object.values(ErrorCode);

/**
 * Parses one server text frame, for clients of the feed. Unknown message types are an error so that a
 * client notices a server speaking a newer protocol; unknown fields are ignored.
 */
export function parseServerMessage(text: string): Result<ServerMessage, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return err('frame is not valid JSON');
  }
  if (!isObject(raw)) return err('message is not an object');
  switch (raw['type']) {
    case 'hello': {
      const limits = parseLimits(raw['limits']);
      const scope = raw['scope'];
      if (raw['protocol'] !== PROTOCOL || typeof raw['server'] !== 'string' || !limits) return err('bad hello');
      if (!isFiniteNumber(raw['intervalMs']) || !isFiniteNumber(raw['historyMs'])) return err('bad hello');
      let parsedScope: Scope;
      if (isObject(scope) && scope['kind'] === 'all') parsedScope = { kind: 'all' };
      else if (
        isObject(scope) &&
        scope['kind'] === 'container' &&
        typeof scope['host'] === 'string' &&
        typeof scope['id'] === 'string' &&
        typeof scope['name'] === 'string'
      ) {
        parsedScope = { kind: 'container', host: scope['host'], id: scope['id'], name: scope['name'] };
      } else return err('bad hello');
      const hello: HelloMessage = {
        type: 'hello',
        protocol: PROTOCOL,
        server: raw['server'],
        intervalMs: raw['intervalMs'],
        historyMs: raw['historyMs'],
        limits,
        scope: parsedScope,
      };
      if (raw['hosts'] !== undefined) {
        const hosts = parseHosts(raw['hosts']);
        if (!hosts) return err('bad hello');
        hello.hosts = hosts;
      }
      return ok(hello);
    }
    case 'containers': {
      const list = raw['containers'];
      const engine = parseEngineStatus(raw['engine']);
      const hosts = parseHosts(raw['hosts']);
      if (!Array.isArray(list) || !engine || !hosts) return err('bad containers');
      const containers: ContainerSummary[] = [];
      for (const c of list) {
        const summary = parseContainerSummary(c);
        if (!summary) return err('bad container summary');
        containers.push(summary);
      }
      return ok({ type: 'containers', containers, engine, hosts });
    }
    case 'history': {
      const samples = parseSamples(raw['samples']);
      if (typeof raw['topic'] !== 'string' || !samples) return err('bad history');
      return ok({ type: 'history', topic: raw['topic'], samples });
    }
    case 'stats': {
      const samples = parseSamples(raw['samples']);
      if (!samples) return err('bad stats');
      return ok({ type: 'stats', samples });
    }
    case 'state': {
      const state = raw['state'];
      if (typeof raw['topic'] !== 'string' || !isOneOf(TOPIC_STATES, state)) return err('bad state');
      return ok({ type: 'state', topic: raw['topic'], state });
    }
    case 'pong':
      return isFiniteNumber(raw['t']) ? ok({ type: 'pong', t: raw['t'] }) : err('bad pong');
    case 'range': {
      const range = parseHistoryRange(raw['range']);
      if (typeof raw['req'] !== 'string' || !range) return err('bad range');
      return ok({ type: 'range', req: raw['req'], range });
    }
    case 'alerts': {
      const list = raw['firing'];
      if (!Array.isArray(list)) return err('bad alerts');
      const firing: AlertNotice[] = [];
      for (const n of list) {
        const notice = parseAlertNotice(n);
        if (!notice) return err('bad alerts');
        firing.push(notice);
      }
      const message: AlertsMessage = { type: 'alerts', firing };
      if (raw['change'] !== undefined) {
        const change = parseAlertNotice(raw['change']);
        if (!change) return err('bad alerts');
        message.change = change;
      }
      return ok(message);
    }
    case 'error': {
      const code = raw['code'];
      if (!isOneOf(ERROR_CODES, code) || typeof raw['message'] !== 'string') return err('bad error');
      const message: ServerMessage = { type: 'error', code, message: raw['message'] };
      if (typeof raw['topic'] === 'string') message.topic = raw['topic'];
      if (typeof raw['req'] === 'string') message.req = raw['req'];
      return ok(message);
    }
    default:
      return err(`unknown message type ${JSON.stringify(raw['type'])}`);
  }
}

function parseLimits(v: unknown): Limits | undefined {
  if (!isObject(v)) return undefined;
  const { maxPayloadBytes, maxSubscriptions, messagesPerSecond, messageBurst } = v;
  if (
    !isFiniteNumber(maxPayloadBytes) ||
    !isFiniteNumber(maxSubscriptions) ||
    !isFiniteNumber(messagesPerSecond) ||
    !isFiniteNumber(messageBurst)
  ) {
    return undefined;
  }
  return { maxPayloadBytes, maxSubscriptions, messagesPerSecond, messageBurst };
}

/** Parses an `EngineStatus`; undefined when it is malformed. */
export function parseEngineStatus(v: unknown): EngineStatus | undefined {
  if (!isObject(v) || (v['status'] !== 'up' && v['status'] !== 'down') || typeof v['endpoint'] !== 'string') {
    return undefined;
  }
  const engine: EngineStatus = { status: v['status'], endpoint: v['endpoint'] };
  if (typeof v['error'] === 'string') engine.error = v['error'];
  return engine;
}

/** Parses a list of `HostInfo`; undefined when it or any host is malformed. */
export function parseHosts(v: unknown): HostInfo[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const hosts: HostInfo[] = [];
  for (const h of v) {
    const host = parseHostInfo(h);
    if (!host) return undefined;
    hosts.push(host);
  }
  return hosts;
}

/** Parses a `HostInfo`; undefined when it is malformed. */
export function parseHostInfo(v: unknown): HostInfo | undefined {
  if (!isObject(v)) return undefined;
  const { name, state, lastSeen, containers, running, conflict } = v;
  const engine = parseEngineStatus(v['engine']);
  if (typeof name !== 'string' || (state !== 'up' && state !== 'unavailable') || !isNumberOrNull(lastSeen) || !engine) return undefined;
  if (!isFiniteNumber(containers) || !isFiniteNumber(running)) return undefined;
  const host: HostInfo = { name, state, lastSeen, containers, running, engine };
  if (v['via'] === 'engine' || v['via'] === 'agent') host.via = v['via'];
  if (typeof conflict === 'string') host.conflict = conflict;
  return host;
}

/** Parses a `ContainerSummary`; undefined when it is malformed. */
export function parseContainerSummary(v: unknown): ContainerSummary | undefined {
  if (!isObject(v)) return undefined;
  const { host, id, name, image, state, status, health, createdAt, compose } = v;
  if (
    typeof host !== 'string' ||
    typeof id !== 'string' ||
    typeof name !== 'string' ||
    typeof image !== 'string' ||
    !isOneOf(CONTAINER_STATES, state) ||
    typeof status !== 'string' ||
    !isFiniteNumber(createdAt)
  ) {
    return undefined;
  }
  const summary: ContainerSummary = { host, id, name, image, state, status, createdAt };
  if (isOneOf(HEALTH_STATUSES, health)) summary.health = health;
  if (isObject(compose) && typeof compose['project'] === 'string' && typeof compose['service'] === 'string') {
    summary.compose = { project: compose['project'], service: compose['service'] };
  }
  return summary;
}

function parseSamples(v: unknown): Sample[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const samples: Sample[] = [];
  for (const s of v) {
    const sample = parseSample(s);
    if (!sample) return undefined;
    samples.push(sample);
  }
  return samples;
}

function pair(v: unknown, a: string, b: string, ra: string, rb: string): JsonObject | undefined {
  if (!isObject(v)) return undefined;
  if (!isFiniteNumber(v[a]) || !isFiniteNumber(v[b]) || !isNumberOrNull(v[ra]) || !isNumberOrNull(v[rb])) {
    return undefined;
  }
  return v;
}

/** Parses a `Sample`; undefined when it is malformed. */
export function parseSample(v: unknown): Sample | undefined {
  if (!isObject(v)) return undefined;
  const { host, id, t, cpu, cpuTime, mem, pids, dropped, unreported } = v;
  if (typeof host !== 'string' || typeof id !== 'string' || !isFiniteNumber(t) || !isNumberOrNull(cpu) || !isNumberOrNull(pids))
    return undefined;
  if (!isObject(mem) || !isFiniteNumber(mem['used']) || !isFiniteNumber(mem['limit']) || !isNumberOrNull(mem['percent'])) {
    return undefined;
  }
  const net = pair(v['net'], 'rx', 'tx', 'rxRate', 'txRate');
  const blk = pair(v['blk'], 'read', 'write', 'readRate', 'writeRate');
  if (!net || !blk) return undefined;
  const sample: Sample = {
    host,
    id,
    t,
    cpu,
    mem: { used: mem['used'], limit: mem['limit'], percent: mem['percent'] },
    net: {
      rx: net['rx'] as number,
      tx: net['tx'] as number,
      rxRate: net['rxRate'] as number | null,
      txRate: net['txRate'] as number | null,
    },
    blk: {
      read: blk['read'] as number,
      write: blk['write'] as number,
      readRate: blk['readRate'] as number | null,
      writeRate: blk['writeRate'] as number | null,
    },
    pids,
  };
  if (isFiniteNumber(cpuTime)) sample.cpuTime = cpuTime;
  if (isFiniteNumber(mem['charged'])) sample.mem.charged = mem['charged'];
  if (isFiniteNumber(dropped) && dropped > 0) sample.dropped = dropped;
  if (Array.isArray(unreported)) {
    const figures = UNREPORTED_FIGURES.filter((f) => unreported.includes(f));
    if (figures.length > 0) sample.unreported = figures;
  }
  return sample;
}
