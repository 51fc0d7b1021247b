/**
 * The connection to NATS that an agent or a gateway keeps: connected out (nothing listens), authenticated
 * the one way the configuration gives, reconnecting by itself, and said to be `up` or `down` with why. The
 * NATS client reconnects on its own, but gives up after repeated authorization errors; this keeps trying,
 * with capped backoff, and logs the first failure, not every one.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, nkeyAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsConfig } from '../config.js';
import { DEFAULT_BACKOFF, FailureLog, backoffDelay, sleep, type BackoffOptions } from '../backoff.js';
import type { Logger } from '../log.js';
import { busNames, type BusNames } from './subjects.js';

/** Distinct server errors remembered so as to log each as a warning once; past this many, each new one is too. */
const MAX_REFUSALS_REMEMBERED = 100;

/** Whether the bus answers, and why not. */
export interface BusState {
  state: 'up' | 'down';
  /** The servers tried. */
  servers: string;
  error?: string;
}

/** Who connects: the name the server shows, the inbox replies come to, and whether it hears what it publishes. */
export interface BusClient {
  name: string;
  inboxPrefix: string;
  /**
   * False for an agent: it publishes every tick and listens only for another agent's heartbeats, and hearing
   * its own would wake it once more a tick.
   */
  echo: boolean;
}

/** An agent's connection, named after its host. */
export const agentClient = (host: string): BusClient => ({
  name: `dockpulse-agent-${host}`,
  inboxPrefix: `_INBOX.agent.${host}`,
  echo: false,
});

/** A gateway's connection. */
export const gatewayClient = (host: string): BusClient => ({
  name: `dockpulse-gateway-${host}`,
  inboxPrefix: '_INBOX.gateway',
  echo: true,
});

/** The options of a connection: settings from the configuration, and the client's own timing. */
export function connectionOptions(config: NatsConfig, client: BusClient): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    servers: config.servers,
    name: client.name,
    inboxPrefix: client.inboxPrefix,
    noEcho: !client.echo,
    // The client's default gives up after ten attempts; a bus that comes back is always worth reaching.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    reconnectJitter: 500,
    reconnectJitterTLS: 1000,
    waitOnFirstConnect: true,
    // Noticing a hung server takes (maxPingOut + 1) pings: 15 s here, six minutes with the client's defaults.
    pingInterval: 5000,
    maxPingOut: 2,
    // A server that refuses a client certificate says so only by letting the handshake time out.
    timeout: 5000,
  };
  if (config.user !== undefined) {
    options.user = config.user;
    options.pass = config.password;
  }
  if (config.token !== undefined) options.token = config.token;
  if (config.nkeyFile !== undefined)
    options.authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(config.nkeyFile, 'utf8').trim()));
  if (config.credsFile !== undefined) options.authenticator = credsAuthenticator(readFileSync(config.credsFile));
  if (config.caFile !== undefined || config.certFile !== undefined) {
    options.tls = {
      ...(config.caFile !== undefined ? { caFile: config.caFile } : {}),
      ...(config.certFile !== undefined ? { certFile: config.certFile } : {}),
      ...(config.keyFile !== undefined ? { keyFile: config.keyFile } : {}),
    };
  }
  return options;
}

/** What a role does with each connection it gets. */
export interface BusHandlers {
  /** A new connection is up: subscribe, create what is needed. Resolves once it is set up. */
  connected(nc: NatsConnection): Promise<void>;
  /** The same connection came back after a break: redo what the server may have forgotten. */
  reconnected?(nc: NatsConnection): Promise<void>;
}

/** A connection to NATS, kept up until stopped. */
export class BusLink {
  readonly names: BusNames;
  private current: NatsConnection | undefined;
  private status: BusState;
  private readonly listeners = new Set<() => void>();
  private readonly failures: FailureLog;
  /** Server errors already logged as warnings. */
  private readonly refusals = new Set<string>();

  constructor(
    private readonly config: NatsConfig,
    private readonly client: BusClient,
    private readonly log: Logger,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    this.names = busNames(config.prefix);
    this.status = { state: 'down', servers: config.servers.join(','), error: 'not connected yet' };
    this.failures = new FailureLog(log, 'NATS connection');
  }

  get state(): BusState {
    return this.status;
  }

  /** The connection while it is up. */
  get connection(): NatsConnection | undefined {
    return this.status.state === 'up' ? this.current : undefined;
  }

  /** Calls `fn` when the state changes; returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Connects, and keeps a connection until `signal` aborts. */
  async run(handlers: BusHandlers, signal: AbortSignal): Promise<void> {
    // Failures in a row: reset once a connection is set up, not merely made, so that a server that lets
    // dockpulse in but refuses what it needs is retried less and less often rather than several times a second.
    let attempt = 0;
    while (!signal.aborted) {
      let nc: NatsConnection | undefined;
      try {
        nc = await connect(connectionOptions(this.config, this.client));
      } catch (e) {
        if (signal.aborted) break;
        this.fail(e);
        await sleep(backoffDelay(attempt++, this.backoff), signal);
        continue;
      }
      this.current = nc;
      const close = (): void => void nc.close();
      signal.addEventListener('abort', close, { once: true });
      // Followed from the start: what the server refuses while the set-up runs (a subscription, a JetStream
      // request) is said too, even when the set-up then fails.
      const setUp = { done: false };
      const following = this.follow(nc, handlers, setUp);
      try {
        await handlers.connected(nc);
        setUp.done = true;
        attempt = 0;
        this.up();
        const why = await nc.closed();
        if (!signal.aborted) this.fail(why ?? new Error('the connection closed'));
      } catch (e) {
        if (!signal.aborted) this.fail(e);
      } finally {
        signal.removeEventListener('abort', close);
        if (!nc.isClosed()) await nc.close().catch(() => {});
        await following;
        this.current = undefined;
      }
      if (!signal.aborted) await sleep(backoffDelay(attempt++, this.backoff), signal);
    }
    this.down('stopped');
  }

  /** Reacts to what happens to `nc` until it closes; a reconnect redoes the set-up once the first one is done. */
  private async follow(nc: NatsConnection, handlers: BusHandlers, setUp: { done: boolean }): Promise<void> {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.fail(new Error(`disconnected from ${s.server}`));
          break;
        case 'reconnect':
          if (!setUp.done) break;
          await handlers
            .reconnected?.(nc)
            .catch((e: unknown) => this.log.warn('bus set-up after reconnecting failed', { error: message(e) }));
          this.up();
          break;
        case 'error':
          // Permission violations, authorization errors: the server said no to something; say what.
          this.serverError(describe(s.error));
          break;
        case 'staleConnection':
          this.fail(new Error('the server stopped answering pings'));
          break;
        default:
          break;
      }
    }
  }

  /**
   * Logs what the server refused: each refusal once as a warning, its repeats at debug level, since an agent
   * whose user may not publish a subject is refused again at every tick.
   */
  private serverError(text: string): void {
    if (this.refusals.has(text)) {
      this.log.debug('NATS server error', { error: text });
      return;
    }
    if (this.refusals.size < MAX_REFUSALS_REMEMBERED) this.refusals.add(text);
    this.log.warn('NATS server error', { error: text });
  }

  private up(): void {
    this.failures.recovered({ servers: this.status.servers });
    this.set({ state: 'up', servers: this.status.servers });
  }

  private down(error: string): void {
    this.set({ state: 'down', servers: this.status.servers, error });
  }

  private fail(e: unknown): void {
    const text = describe(e);
    this.failures.failed(new Error(text), { servers: this.status.servers });
    this.down(text);
  }

  private set(next: BusState): void {
    const changed = next.state !== this.status.state || next.error !== this.status.error;
    this.status = next;
    if (changed) for (const fn of [...this.listeners]) fn();
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Says what an operator can do about a failure where the client's words alone would not. */
function describe(e: unknown): string {
  const text = message(e);
  if (/authorization/i.test(text)) return `${text} (check the NATS credentials dockpulse is given)`;
  if (/permissions violation/i.test(text)) return `${text} (the server does not allow this to the NATS user dockpulse is given)`;
  if (/timeout/i.test(text)) return `${text} (with TLS, the server may have refused the client certificate)`;
  return text;
}
