import {
  CONTAINERS_TOPIC,
  ErrorCode,
  MAX_TOPIC_LENGTH,
  STATS_TOPIC_PREFIX,
  isContainerId,
  type ClientMessage,
  type Topic,
} from './protocol.js';
import { err, ok, type Result } from './result.js';
import { isObject } from './guards.js';

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
    default:
      return err({ code: ErrorCode.unknownType, message: `unknown message type "${type.slice(0, 40)}"` });
  }
}

/** Parses a topic string: `containers` or `stats:<full container id>`. */
export function parseTopic(topic: string): Result<Topic, ProtocolError> {
  if (topic === CONTAINERS_TOPIC) return ok({ kind: 'containers' });
  const shown = topic.length > MAX_TOPIC_LENGTH ? `${topic.slice(0, MAX_TOPIC_LENGTH)}…` : topic;
  if (topic.startsWith(STATS_TOPIC_PREFIX)) {
    const id = topic.slice(STATS_TOPIC_PREFIX.length);
    if (isContainerId(id)) return ok({ kind: 'stats', id });
    return err({
      code: ErrorCode.badTopic,
      message: 'a stats topic is "stats:" followed by the full 64-character container id from the containers list',
      topic: shown,
    });
  }
  return err({ code: ErrorCode.badTopic, message: 'known topics are "containers" and "stats:<container id>"', topic: shown });
}
