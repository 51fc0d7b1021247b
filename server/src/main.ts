#!/usr/bin/env node
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { HttpErrorCode } from '@dockpulse/shared';
import { realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { containersFrame } from './protocol/frames.js';
import { loadConfig, readsLocalEngine, usage, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import type { Engine } from './docker/engine.js';
import { Hub } from './hub/hub.js';
import type { StatsSource, StreamCounters } from './source/source.js';
import { HostSet } from './hosts/host-set.js';
import { pinEveryContainer } from './hosts/pin-all.js';
import { BusLink, agentClient, gatewayClient } from './bus/connection.js';
import { BusHosts } from './bus/bus-hosts.js';
import { BusShares } from './bus/bus-shares.js';
import { Agent } from './bus/agent.js';
import { SourceFeed } from './bus/source-feed.js';
import { gatewayMetrics } from './metrics/gateway-metrics.js';
import { containerMetrics } from './metrics/container-metrics.js';
import { processMetrics } from './metrics/process-metrics.js';
import { readProcessFigures } from './metrics/process-figures.js';
import { localEngineSource } from './source/local-engine.js';
import { WsTransport } from './transport/ws-server.js';
import { ConnectionLimit } from './transport/connection-limit.js';
import { refuseConnection, refusalResponse } from './transport/close-socket.js';
import { fail } from './http/respond.js';
import { createRequestHandler } from './http/routes.js';
import { StaticFiles } from './http/static-files.js';
import { StateDir } from './auth/state-dir.js';
import { FileShares, ShareStore } from './auth/share-store.js';
import { Authenticator } from './auth/authenticate.js';
import { FileSessions, SessionStore } from './auth/session-store.js';
import { AuthFailures } from './limits/auth-failures.js';
import { History } from './history/history.js';
import { Recorder } from './history/recorder.js';
import { HistoryStore } from './history/store.js';
import { startAlerts } from './alerts/start.js';
import type { Alerts } from './alerts/alerts.js';
import { gatewayReplayBudget } from './limits/replay-budget.js';

/** The history database, in the state directory. */
const HISTORY_FILE = 'history.db';

/** How long a starting gateway waits for the bus's hosts and history before it serves without them. */
const BUS_READY_MS = 10_000;

/** Name and version sent in `hello`. */
export const VERSION = 'dockpulse/0.1.0';

/** A running gateway. */
export interface Gateway {
  /** The port it listens on (useful with port 0). */
  port: number;
  /** `http://host:port` */
  url: string;
  /** Every host served, and their containers. */
  hosts: HostSet;
  hub: Hub;
  /** Upstream stats streams open now and opened since start. */
  upstream: StreamCounters;
  transport: WsTransport;
  shares: ShareStore;
  /** Dashboard sessions ended early. */
  sessions: SessionStore;
  /** Alert rules and their evaluation; undefined when alerts are off. */
  alerts: Alerts | undefined;
  /** Stops everything it started: sockets, upstream streams, timers. */
  stop(): Promise<void>;
}

/** Host names that requests may carry besides loopback ones: the public URL's and the listen address. */
function trustedHostsOf(config: Config): string[] {
  const hosts: string[] = [];
  if (config.publicUrl) hosts.push(new URL(config.publicUrl).hostname);
  if (config.host !== '0.0.0.0' && config.host !== '::') hosts.push(config.host.includes(':') ? `[${config.host}]` : config.host);
  return hosts;
}

/** Where the built web app is, relative to this file (server/dist/main.js → web/dist). */
function defaultWebRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../web/dist');
}

/** The engine `DOCKER_HOST` names, unless one is given. */
async function localEngine(engine: Engine | undefined): Promise<Engine> {
  if (engine) return engine;
  // Loaded here rather than with this module: the Docker client is most of the gateway's load time, and a
  // gateway served from other sources (`serve`) never uses it.
  const { connectEngine } = await import('./docker/engine.js');
  const connected = connectEngine();
  if (!connected.ok) throw new Error(connected.error);
  return connected.value;
}

/**
 * Starts the gateway: against the Docker engine that `DOCKER_HOST` names (or `engine`) unless a bus brings
 * the hosts and the local engine is not asked for, then the engines of `DOCKPULSE_ENGINES`, each a host of its
 * own, and the hosts heard on the bus when there is one.
 */
export async function start(config: Config, log: Logger, engine?: Engine): Promise<Gateway> {
  const local = readsLocalEngine(config) ? [await localEngineSource(config.hostName, await localEngine(engine), config, log)] : [];
  const { remoteEngineSources } = await import('./source/remote-engines.js');
  const remote = remoteEngineSources(config, log);
  if (!remote.ok) throw new Error(remote.error);
  return serve(config, log, [...local, ...remote.value]);
}

/** A running agent. */
export interface RunningAgent {
  agent: Agent;
  source: StatsSource;
  /** Stops reading and publishing, and closes the bus connection. */
  stop(): Promise<void>;
}

/**
 * Starts an agent beside the local engine (or `engine`): every container read with the same source choice as
 * a gateway, published on the bus. It opens no port.
 */
export async function startAgent(config: Config, log: Logger, engine?: Engine): Promise<RunningAgent> {
  if (!config.nats) throw new Error('an agent publishes on NATS: set DOCKPULSE_NATS_URL');
  const source = await localEngineSource(config.hostName, await localEngine(engine), config, log);
  // Gateways keep the history and serve the clients: the agent reads every container and forwards its samples.
  const feed = new SourceFeed(source);
  const unwatch = feed.start();
  const link = new BusLink(config.nats, agentClient(config.hostName), log);
  const agent = new Agent({
    source,
    samples: feed,
    link,
    intervalMs: config.intervalMs,
    heartbeatMs: config.agentHeartbeatMs,
    version: VERSION,
    log,
  });
  const lifetime = new AbortController();
  const done = Promise.all([source.run(lifetime.signal), agent.run(lifetime.signal)]);
  log.info('dockpulse agent started', { host: config.hostName, ...source.describe });
  let stopped: Promise<void> | undefined;
  return {
    agent,
    source,
    stop: () => {
      stopped ??= (async () => {
        lifetime.abort();
        unwatch();
        await done;
      })();
      return stopped;
    },
  };
}

/**
 * Wires the gateway together: sources → hosts → hub → WebSocket transport, and the HTTP routes beside it.
 * This is the only place that knows all of them.
 */
export async function serve(config: Config, log: Logger, sources: readonly StatsSource[]): Promise<Gateway> {
  const state = new StateDir(config.stateDir, log);
  // Gateways on one bus must sign with one secret, given to each by configuration.
  const secret = config.shareSecret !== undefined ? Buffer.from(config.shareSecret, 'hex') : await state.secret();
  if (config.nats && config.shareSecret === undefined) {
    log.warn("share links and sessions are signed with this gateway's own secret: set DOCKPULSE_SHARE_SECRET on every gateway of the bus");
  }
  const busShares = config.nats ? new BusShares(log) : undefined;
  const shares = await ShareStore.open(busShares ?? new FileShares(state), secret);
  // Sessions are ended per gateway, in its own state directory, even on a bus (see docs/multi-host.md).
  const sessions = await SessionStore.open(new FileSessions(state));
  const auth = new Authenticator(config.token, shares, secret, {
    sessions,
    failures: new AuthFailures(),
    sessionTtlMs: config.sessionTtlMs,
  });
  const lifetime = new AbortController();
  const hosts = new HostSet();
  for (const source of sources) hosts.add(source);
  const trustedHosts = trustedHostsOf(config);
  const hub = new Hub(hosts, {
    historySamples: Math.max(1, Math.ceil(config.historyMs / config.intervalMs)),
    graceMs: config.graceMs,
    coalesceMs: config.coalesceMs,
    retryMs: Math.max(5, Math.min(25, Math.floor(config.outbox.sendTimeoutMs / 4))),
  });
  hosts.onChange(() => hub.publishContainers(() => containersFrame(hosts.all(), hosts.engineStatus(), hosts.hosts())));
  const keepS = { minute: config.keepMinutesS, hour: config.keepHoursS };
  const store = keepS.minute + keepS.hour > 0 ? await openStore(state, log) : undefined;
  const recorder = store
    ? new Recorder({
        store,
        onSample: (listener) => hub.onSample(listener),
        describe: (host, id) => {
          const c = hosts.find(host, id);
          return c && { name: c.name, image: c.image };
        },
        keepS,
        log,
      })
    : undefined;
  recorder?.start();
  const history = new History(hosts, {
    store,
    recent: (host, id, since) => hub.recent(host, id, since),
    intervalMs: config.intervalMs,
    historyMs: config.historyMs,
    keepS,
    now: Date.now,
  });
  const unpinAll = config.record === 'all' ? pinEveryContainer(hosts, hub) : () => {};
  const running: Promise<unknown>[] = sources.map((s) => s.run(lifetime.signal));
  let bus: { link: BusLink; hosts: BusHosts } | undefined;
  let pinOwn = (): void => {};
  if (config.nats) {
    const link = new BusLink(config.nats, gatewayClient(config.hostName), log);
    const local = readsLocalEngine(config) ? config.hostName : undefined;
    bus = {
      link,
      hosts: new BusHosts({
        link,
        hosts,
        historyMs: config.historyMs,
        intervalMs: config.intervalMs,
        localHost: local,
        log,
        ...(busShares ? { shares: { persistence: busShares, store: shares } } : {}),
      }),
    };
    running.push(bus.hosts.run(lifetime.signal));
    // The local engine this gateway reads is published too, so that every gateway of the bus serves it.
    const own = sources.find((s) => s.host === local);
    if (own) {
      const agentLink = new BusLink(config.nats, agentClient(own.host), log);
      const agent = new Agent({
        source: own,
        samples: hub,
        link: agentLink,
        intervalMs: config.intervalMs,
        heartbeatMs: config.agentHeartbeatMs,
        version: VERSION,
        log,
      });
      running.push(agent.run(lifetime.signal));
      // An agent publishes every container; with only watched ones read here, its own are read anyway.
      if (config.record !== 'all') pinOwn = pinEveryContainer(own.containers, hub);
    }
  }
  const listsDone = Promise.all(running);
  const alerts = await startAlerts(config, state, hosts, hub, log);
  // A page opened on a gateway that just started shows the recent past at once: read it before serving.
  await bus?.hosts.ready(BUS_READY_MS);

  const transport = new WsTransport(
    {
      hub,
      hosts,
      defaultHost: sources[0]?.host ?? '',
      limits: config.limits,
      outbox: config.outbox,
      intervalMs: config.intervalMs,
      historyMs: config.historyMs,
      version: VERSION,
      history,
      maxUnlistedTopics: config.maxUnlistedTopics,
      alerts: alerts?.feed,
      shareReplay: gatewayReplayBudget(config.historyMs, config.intervalMs),
      log,
    },
    { path: '/ws', auth, shares, origins: config.origins, trustedHosts, heartbeatMs: config.heartbeatMs },
  );
  const connections = new ConnectionLimit(config.connections);
  const handler = createRequestHandler({
    hosts,
    bus: bus ? { state: () => bus.link.state, rejected: () => bus.hosts.rejected } : undefined,
    metricsToken: config.metricsToken,
    files: new StaticFiles(config.webRoot ?? defaultWebRoot()),
    auth,
    shares,
    sessions,
    origins: config.origins,
    frameAncestors: config.frameAncestors,
    publicUrl: config.publicUrl,
    trustedHosts,
    history,
    defaultHost: sources[0]?.host ?? '',
    alerts: alerts?.alerts,
    log,
    metrics: () => [
      ...gatewayMetrics({
        sockets: transport.size,
        hub: hub.stats(),
        upstream: { open: sources.reduce((n, s) => n + s.streams.open, 0), opened: sources.reduce((n, s) => n + s.streams.opened, 0) },
        dockerUp: hosts.engineStatus().status === 'up',
        hosts: hosts.hosts(),
        bus: bus ? { state: bus.link.state, rejected: bus.hosts.rejected } : undefined,
        history: recorder?.stats,
        connections: connections.stats,
      }),
      ...processMetrics(readProcessFigures()),
      ...containerMetrics({
        containers: hosts.all(),
        hosts: hosts.hosts(),
        latest: (host, id) => hub.latest(host, id),
        composeLabels: config.metricsLabels.includes('compose'),
      }),
    ],
  });
  const server: Server = createServer((req, res) => {
    const refused = connections.refusal(req.socket);
    if (refused === undefined) return handler(req, res);
    res.setHeader('Connection', 'close');
    fail(res, { status: 503, code: HttpErrorCode.tooManyConnections, message: connections.message(refused) });
  });
  // Before the HTTP server's own listener, so that a connection is counted, or refused, before its request.
  server.prependListener('connection', (socket: Socket) => connections.admit(socket));
  server.on('upgrade', (req, socket, head: Buffer) => {
    const refused = connections.refusal(req.socket);
    if (refused === undefined) return transport.handleUpgrade(req, socket, head);
    const body = { error: HttpErrorCode.tooManyConnections, message: connections.message(refused) };
    refuseConnection(socket, refusalResponse(503, 'Service Unavailable', body));
  });
  // Bounds on what a client can make the HTTP side hold.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  log.info('dockpulse listening', {
    url: `http://${host}:${port}`,
    ...(sources.length === 1 ? sources[0]!.describe : { hosts: sources.map((s) => s.host).join(', ') }),
    auth: config.token ? 'token' : 'none (loopback only)',
  });

  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    hosts,
    hub,
    upstream: {
      get open() {
        return sources.reduce((n, s) => n + s.streams.open, 0);
      },
      get opened() {
        return sources.reduce((n, s) => n + s.streams.opened, 0);
      },
    },
    transport,
    shares,
    sessions,
    alerts: alerts?.alerts,
    stop: () => {
      stopped ??= (async () => {
        transport.close();
        await alerts?.stop();
        unpinAll();
        pinOwn();
        hub.close();
        recorder?.stop();
        store?.close();
        const unsaved = await shares.close();
        if (unsaved.length > 0) {
          log.error('share revocations were never saved: after a restart these links open again until revoked again', {
            shares: unsaved.join(', '),
          });
        }
        if (await sessions.close()) log.error('a logout was never saved: after a restart its sessions open again until they expire');
        lifetime.abort();
        await listsDone;
        await new Promise<void>((ok) => server.close(() => ok()));
        server.closeAllConnections();
      })();
      return stopped;
    },
  };
}

/**
 * The history database in the state directory. A gateway that cannot open it still serves everything live,
 * and says why it keeps no history.
 */
async function openStore(state: StateDir, log: Logger): Promise<HistoryStore | undefined> {
  const path = join(state.path, HISTORY_FILE);
  try {
    await state.ensure();
    return HistoryStore.open(path);
  } catch (e) {
    log.error('history is not kept: its database cannot be opened', { path, error: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
}

async function cli(): Promise<void> {
  const args = process.argv.slice(2);
  const role = args[0] === 'agent' ? 'agent' : 'gateway';
  const argv = role === 'agent' ? args.slice(1) : args;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return;
  }
  const config = loadConfig(argv, process.env);
  if (!config.ok) {
    process.stderr.write(`dockpulse: ${config.error}\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const log = createLogger(config.value.logLevel);
  const gateway = role === 'agent' ? await startAgent(config.value, log) : await start(config.value, log);
  const shutdown = (signal: string): void => {
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    void gateway.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

/** True when this file is the program being run rather than a module imported by a test. */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntry()) {
  cli().catch((e: unknown) => {
    process.stderr.write(`dockpulse: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
