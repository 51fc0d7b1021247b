import {
  ALERTS_TOPIC,
  CONTAINERS_TOPIC,
  ErrorCode,
  MAX_TOPIC_LENGTH,
  STATS_TOPIC_PREFIX,
  CONTAINER_NAME,
  isContainerId,
  isHostName,
  type ClientMessage,
  type Topic,
} from './protocol.js';
import { err, ok, type Result } from './result.js';
import { isObject } from './guards.js';
import { checkHistoryQuery } from './history.js';

/** A client's name for a request, echoed in the answer. */
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Why a client frame was refused; `code` goes into the `error` frame. */
export interface ProtocolError {
  code: ErrorCode;
  message: string;
  topic?: string;
}

/**
 * Parses one client text frame. `maxTopics` bounds the topic list of a single subscribe or unsubscribe
 * (the per-socket subscription limit is the caller's to enforce).
 */
export function parseClientMessage(text: string, maxTopics: number): Result<ClientMessage, ProtocolError> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return err({ code: ErrorCode.badJson, message: 'frame is not valid JSON' });
  }
  if (!isObject(raw)) return err({ code: ErrorCode.badMessage, message: 'a message must be a JSON object' });
  const type = raw['type'];
  if (typeof type !== 'string') return err({ code: ErrorCode.badMessage, message: 'missing string field "type"' });
  switch (type) {
    case 'ping':
      return ok({ type: 'ping' });
    case 'subscribe':
    case 'unsubscribe': {
      const topics = raw['topics'];
      if (!Array.isArray(topics) || !topics.every((t): t is string => typeof t === 'string')) {
        return err({ code: ErrorCode.badMessage, message: `"${type}" needs "topics": an array of strings` });
      }
      if (topics.length === 0) return err({ code: ErrorCode.badMessage, message: '"topics" is empty' });
      if (topics.length > maxTopics) {
        return err({ code: ErrorCode.badMessage, message: `"topics" holds ${topics.length} entries; at most ${maxTopics}` });
      }
      if (type === 'unsubscribe') return ok({ type, topics });
      const history = raw['history'];
      if (history === undefined) return ok({ type, topics });
      if (typeof history !== 'number' || !Number.isFinite(history) || history < 0) {
        return err({ code: ErrorCode.badMessage, message: '"history" must be a number of seconds, 0 or more' });
      }
      return ok({ type, topics, history });
    }
    case 'range': {
      const req = raw['req'];
      if (typeof req !== 'string' || !REQUEST_ID.test(req)) {
        return err({ code: ErrorCode.badMessage, message: '"range" needs "req": 1 to 64 letters, digits, "_" or "-"' });
      }
      const topic = raw['topic'];
      if (typeof topic !== 'string') return err({ code: ErrorCode.badMessage, message: '"range" needs "topic": a stats topic' });
      const query = checkHistoryQuery({ from: raw['from'], to: raw['to'], step: raw['step'], metrics: raw['metrics'] });
      if (!query.ok) return err({ code: ErrorCode.badMessage, message: query.error.message });
      return ok({ type: 'range', req, topic, ...query.value });
    }
    default:
      return err({ code: ErrorCode.unknownType, message: `unknown message type "${type.slice(0, 40)}"` });
  }
}

/**
 * Parses a topic string: `containers`, `stats:<host>/<full id or name>`, or the first version's
 * `stats:<full id>`.
 */
export function parseTopic(topic: string): Result<Topic, ProtocolError> {
  if (topic === CONTAINERS_TOPIC) return ok({ kind: 'containers' });
  if (topic === ALERTS_TOPIC) return ok({ kind: 'alerts' });
  const shown = topic.length > MAX_TOPIC_LENGTH ? `${topic.slice(0, MAX_TOPIC_LENGTH)}…` : topic;
  if (topic.startsWith(STATS_TOPIC_PREFIX) && topic.length <= MAX_TOPIC_LENGTH) {
    const rest = topic.slice(STATS_TOPIC_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash < 0 && isContainerId(rest)) return ok({ kind: 'stats', host: undefined, ref: rest });
    const host = rest.slice(0, slash);
    const ref = rest.slice(slash + 1);
    if (slash > 0 && isHostName(host) && (isContainerId(ref) || CONTAINER_NAME.test(ref))) return ok({ kind: 'stats', host, ref });
    return err({
      code: ErrorCode.badTopic,
      message: 'a stats topic is "stats:<host>/<container id or name>", or "stats:<full 64-character container id>"',
      topic: shown,
    });
  }
  return err({ code: ErrorCode.badTopic, message: 'known topics are "containers", "alerts" and "stats:<host>/<container>"', topic: shown });
}
