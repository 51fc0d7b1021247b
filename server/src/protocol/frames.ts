/**
 * Every frame the gateway sends on a socket, built here and nowhere else. Each builder takes the typed values
 * of one `ServerMessage`; the two that carry samples splice in samples serialized once by `sampleJson`, since a
 * sample is shared by every socket that receives it.
 */
import {
  PROTOCOL,
  type AlertNotice,
  type AlertsMessage,
  type ContainerSummary,
  type ContainersMessage,
  type EngineStatus,
  type ErrorMessage,
  type HelloMessage,
  type HistoryRange,
  type HostInfo,
  type PongMessage,
  type RangeMessage,
  type Sample,
  type StateMessage,
  type TopicState,
} from '@dockpulse/shared';

/** A `Sample` as JSON, made by `sampleJson` (or `withDropped`) and nothing else. */
export type SampleJson = string & { readonly __sampleJson: unique symbol };

/** Serializes a sample once, for every frame that carries it. */
export function sampleJson(sample: Sample): SampleJson {
  return JSON.stringify(sample) as SampleJson;
}

/** The sample with `dropped: n`: one socket's copy that says how many samples of its topic it missed. */
export function withDropped(json: SampleJson, dropped: number): SampleJson {
  return `${json.slice(0, -1)},"dropped":${dropped}}` as SampleJson;
}

/** `hello`: the first frame on every socket, and again when a followed share moves to a new container. */
export function helloFrame(hello: Omit<HelloMessage, 'type' | 'protocol'>): string {
  const msg: HelloMessage = { type: 'hello', protocol: PROTOCOL, ...hello };
  return JSON.stringify(msg);
}

/** `containers`: every container of every host, whether each host answers, and the engines' status in one. */
export function containersFrame(containers: readonly ContainerSummary[], engine: EngineStatus, hosts: readonly HostInfo[]): string {
  const msg: ContainersMessage = { type: 'containers', containers: [...containers], engine, hosts: [...hosts] };
  return JSON.stringify(msg);
}

/** `history`: a stats topic's recent samples, oldest first. */
export function historyFrame(topic: string, samples: readonly SampleJson[]): string {
  return `{"type":"history","topic":${JSON.stringify(topic)},"samples":[${samples.join(',')}]}`;
}

/** `stats`: every sample due to one socket in one tick. */
export function statsFrame(samples: readonly SampleJson[]): string {
  return `{"type":"stats","samples":[${samples.join(',')}]}`;
}

/** `state`: a stats topic's state. */
export function stateFrame(topic: string, state: TopicState): string {
  const msg: StateMessage = { type: 'state', topic, state };
  return JSON.stringify(msg);
}

/** `pong`: the answer to `ping`, with the server's clock. */
export function pongFrame(t: number): string {
  const msg: PongMessage = { type: 'pong', t };
  return JSON.stringify(msg);
}

/** `error`: what was wrong with a client's message; the socket stays open. */
export function errorFrame(e: Omit<ErrorMessage, 'type'>): string {
  const msg: ErrorMessage = { type: 'error', code: e.code, message: e.message };
  if (e.topic !== undefined) msg.topic = e.topic;
  if (e.req !== undefined) msg.req = e.req;
  return JSON.stringify(msg);
}

/** The answer to a `range` request. */
export function rangeFrame(req: string, range: HistoryRange): string {
  const msg: RangeMessage = { type: 'range', req, range };
  return JSON.stringify(msg);
}

/** `alerts`: every alert firing now, and the firing or resolution that changed them when one did. */
export function alertsFrame(firing: readonly AlertNotice[], change: AlertNotice | undefined): string {
  const msg: AlertsMessage = { type: 'alerts', firing: [...firing] };
  if (change !== undefined) msg.change = change;
  return JSON.stringify(msg);
}
