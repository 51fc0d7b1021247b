/**
 * A gateway in a test's hands: a stand-in for the WebSocket constructor that records every socket a client
 * opens and what it sends, and builds the frames a real gateway would send back.
 */
import {
  hostStatsTopic,
  type ContainerSummary,
  type EngineStatus,
  type HelloMessage,
  type HostInfo,
  type Sample,
  type ServerMessage,
} from '@dockpulse/shared';

/** What a client sent, parsed. */
export type Sent = { type: string; topics?: string[]; history?: number };

/** One socket a client opened. */
export class FakeSocket {
  readonly OPEN = 1;
  readyState = 0;
  readonly sent: Sent[] = [];
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeGateway.current?.sockets.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Sent);
  }

  close(): void {
    this.readyState = 3;
  }

  /** The gateway accepts the socket and says hello. */
  open(hello: HelloMessage = helloFrame()): void {
    this.readyState = 1;
    this.receive(hello);
  }

  /** The gateway sends a frame. */
  receive(msg: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }

  /** The gateway closes the socket. */
  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The topics of the frames of one type sent so far, in order. */
  topics(type: 'subscribe' | 'unsubscribe'): string[] {
    return this.sent.filter((m) => m.type === type).flatMap((m) => m.topics ?? []);
  }
}

/** The sockets of one test. Create one per test: the WebSocket constructor records into the latest. */
export class FakeGateway {
  static current: FakeGateway | undefined;
  readonly sockets: FakeSocket[] = [];
  /** Pass as a client's `WebSocket` option. */
  readonly WebSocket = FakeSocket as unknown as typeof WebSocket;

  constructor() {
    FakeGateway.current = this;
  }

  /** The newest socket. */
  get socket(): FakeSocket {
    const s = this.sockets.at(-1);
    if (!s) throw new Error('the client opened no socket');
    return s;
  }
}

/** A full 64-digit container id made of one repeated hex digit. */
/** The stats topic of a container on the fake gateway's one host. */
export function statsOf(id: string): string {
  return hostStatsTopic(HOST, id);
}

export function cid(digit: string): string {
  return digit.repeat(64);
}

/**
 * `hello`, for a socket that sees everything (on the one host `HOST`, or on `options.hosts`) or, with `scope`,
 * a share token's container (on `HOST` unless it says).
 */
export function helloFrame(
  scope?: { id: string; name: string; host?: string },
  options: { intervalMs?: number; maxSubscriptions?: number; hosts?: HostInfo[] } = {},
): HelloMessage {
  const hello: HelloMessage = {
    type: 'hello',
    protocol: 'dockpulse.v1',
    server: 'dockpulse/test',
    intervalMs: options.intervalMs ?? 1000,
    historyMs: 60_000,
    limits: { maxPayloadBytes: 65536, maxSubscriptions: options.maxSubscriptions ?? 256, messagesPerSecond: 20, messageBurst: 40 },
    scope: scope ? { kind: 'container', host: scope.host ?? HOST, id: scope.id, name: scope.name } : { kind: 'all' },
  };
  // As the gateway: the hosts go to a socket that may see them, not to a share token's.
  if (!scope) hello.hosts = options.hosts ?? [hostInfo(HOST)];
  return hello;
}

/** A host as the gateway lists it, with the counts of `containers` (those of it are counted). */
export function hostInfo(name: string, state: HostInfo['state'] = 'up', containers: readonly ContainerSummary[] = []): HostInfo {
  const mine = containers.filter((c) => c.host === name);
  const engine: EngineStatus =
    state === 'up'
      ? { status: 'up', endpoint: 'unix:///var/run/docker.sock' }
      : { status: 'down', endpoint: `agent via nats://127.0.0.1:4222`, error: "no heartbeat from the host's agent" };
  return {
    name,
    state,
    lastSeen: 0,
    containers: mine.length,
    running: mine.filter((c) => c.state === 'running').length,
    via: state === 'up' ? 'engine' : 'agent',
    engine,
  };
}

export function summary(id: string, name: string, state: ContainerSummary['state'] = 'running', host = HOST): ContainerSummary {
  return {
    host,
    id,
    name,
    image: 'local/busybox:latest',
    state,
    status: state === 'running' ? 'Up 1 minute' : 'Exited (0)',
    createdAt: 0,
  };
}

/**
 * `containers` with one host, `HOST`, whose engine is `engine`; or, with `hosts`, those hosts (the engine
 * then `down` while any of them is, as the gateway aggregates it).
 */
export function containersFrame(containers: ContainerSummary[], engine: EngineStatus['status'] = 'up', hosts?: HostInfo[]): ServerMessage {
  if (hosts) {
    const down = hosts.filter((h) => h.engine.status === 'down').map((h) => h.name);
    const endpoint = `${hosts.length} hosts`;
    return {
      type: 'containers',
      containers,
      engine: down.length === 0 ? { status: 'up', endpoint } : { status: 'down', endpoint, error: `not answering: ${down.join(', ')}` },
      hosts,
    };
  }
  const status = { status: engine, endpoint: 'unix:///var/run/docker.sock' };
  const running = containers.filter((c) => c.state === 'running').length;
  return {
    type: 'containers',
    containers,
    engine: status,
    hosts: [
      { name: HOST, state: engine === 'up' ? 'up' : 'unavailable', lastSeen: 0, containers: containers.length, running, engine: status },
    ],
  };
}

/** The one host every fake container is on. */
export const HOST = 'h1';

/** A sample of container `id` taken at `t`. */
export function sample(id: string, t: number, memUsed = 20 * 2 ** 20, memLimit = 25_276_063_744): Sample {
  return {
    host: HOST,
    id,
    t,
    cpu: 1,
    mem: { used: memUsed, limit: memLimit, percent: (memUsed / memLimit) * 100 },
    net: { rx: 0, tx: 0, rxRate: 0, txRate: 0 },
    blk: { read: 0, write: 0, readRate: 0, writeRate: 0 },
    pids: 1,
  };
}

/** A sample of container `id` on `host` taken at `t`. */
export function hostSample(host: string, id: string, t: number): Sample {
  return { ...sample(id, t), host };
}

/** Lets queued microtasks (a client's batched subscribe frames) and then `ms` of timers run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
