import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LIMITS, HOST_NAME, err, ok, type Limits, type Result } from '@dockpulse/shared';
import { readFileSync } from 'node:fs';
import type { OutboxLimits } from './hub/outbox.js';
import type { ConnectionLimits } from './transport/connection-limit.js';
import type { LogLevel } from './log.js';
import { SESSION_TTL_MS } from './auth/authenticate.js';

/** Everything the gateway can be told, by flag or environment. */
export interface Config {
  host: string;
  port: number;
  /** Access token; required when `host` is not a loopback address. */
  token: string | undefined;
  /** Origins allowed besides the gateway's own, e.g. `https://ops.example.com`. */
  origins: string[];
  intervalMs: number;
  historyMs: number;
  logLevel: LogLevel;
  /** Directory of the built web app. */
  webRoot: string | undefined;
  limits: Limits;
  outbox: OutboxLimits;
  /** How long an unwatched container's upstream stays open. */
  graceMs: number;
  /** Samples arriving within this window go to each socket in one frame. */
  coalesceMs: number;
  /** Interval of WebSocket pings; a peer that misses one is dropped. */
  heartbeatMs: number;
  /** How long a dashboard session lasts from its login; its sockets are closed when it ends. */
  sessionTtlMs: number;
  /** Where the signing secret and the share list live. */
  stateDir: string;
  /** Who may frame `/embed/…` and `/s/…` (CSP frame-ancestors sources); the gateway's own origin when empty. */
  frameAncestors: string[];
  /** The gateway's public base URL (behind a proxy), used in share links. */
  publicUrl: string | undefined;
  /** Where stats come from: the host's cgroup files, the engine's API, or the first of them that works. */
  source: 'auto' | 'cgroup' | 'docker';
  /** The host's `/` as this process sees it (the gateway in a container with the host mounted read-only). */
  hostRoot: string | undefined;
  /** The host's /proc, when not `<hostRoot>/proc`. */
  procRoot: string | undefined;
  /** The host's cgroup mount, when not found from mountinfo. */
  cgroupRoot: string | undefined;
  /** This machine's name among the hosts: the local engine's, and an agent's. */
  hostName: string;
  /** Whether the gateway reads the local engine; undefined until decided (yes, unless a bus is configured). */
  localEngine: boolean | undefined;
  /** Engines read over their API without an agent, each named as a host. */
  engines: RemoteEngine[];
  /** Where each remote engine's TLS files are: `<dir>/<name>/{ca,cert,key}.pem`. */
  engineCertsDir: string | undefined;
  /** Which containers are read and keep their recent samples: every one, or only those someone watches. */
  record: 'all' | 'watched';
  /** How long the history keeps its minute points and its hour points, in seconds; 0 keeps no history on disk. */
  keepMinutesS: number;
  keepHoursS: number;
  /** The message bus between agents and gateways; undefined for a gateway on its own. */
  nats: NatsConfig | undefined;
  /** How often an agent says it is alive; a host silent for three of these is unavailable. */
  agentHeartbeatMs: number;
  /** The share-signing secret given by configuration (64 hex digits), for gateways that must agree on it. */
  shareSecret: string | undefined;
  /** A token that opens `/metrics` and nothing else, for a Prometheus that should not hold the access token. */
  metricsToken: string | undefined;
  /** Extra labels on container metrics: `compose` adds the compose project and service. */
  metricsLabels: 'compose'[];
  /** Alert rules the gateway keeps at most; 0 turns alerts off. */
  maxAlertRules: number;
  /** Topics open at once for containers their host does not list (taken on trust while it does not answer). */
  maxUnlistedTopics: number;
  /** Connections held at once, in total and from one address (loopback excepted; 0: no per-address bound). */
  connections: ConnectionLimits;
}

/** An engine read over its API, as a host of its own. */
export interface RemoteEngine {
  name: string;
  /** `unix:///path`, `tcp://host:port` (TLS, certificates required) or `http://host:port` (no TLS). */
  url: string;
}

/** How to reach the NATS servers. */
export interface NatsConfig {
  servers: string[];
  /** Subjects, streams and buckets are named under this. */
  prefix: string;
  user: string | undefined;
  password: string | undefined;
  token: string | undefined;
  /** A file holding an NKEY seed (`SU…`). */
  nkeyFile: string | undefined;
  /** A `.creds` file (user JWT and seed), for servers in operator mode. */
  credsFile: string | undefined;
  /** TLS: the CA that signed the servers' certificates, and this client's certificate and key. */
  caFile: string | undefined;
  certFile: string | undefined;
  keyFile: string | undefined;
}

/** A configuration setting, its flag and environment names, and how to read it. */
interface Setting {
  flag: string;
  env: string;
  apply(config: Config, value: string): string | undefined;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** A subject prefix: dot-separated tokens of letters, digits, `_` and `-`. */
const NATS_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * The machine's name as a host name: the hostname up to its first dot, with anything a host name may not hold
 * made a `-`. `localhost` when nothing is left.
 */
export function machineHostName(name: string = hostname()): string {
  const short = (name.split('.')[0] ?? '')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .replace(/^[_-]+/, '')
    .slice(0, 63);
  return short === '' ? 'localhost' : short;
}

/** Whether the gateway reads the local engine: as told, else unless a bus brings the hosts. */
export function readsLocalEngine(config: Pick<Config, 'localEngine' | 'nats'>): boolean {
  return config.localEngine ?? config.nats === undefined;
}

/** NATS settings with the default prefix and no credentials, for `servers`, with `more` on top. */
export function natsSettings(servers: string[], more: Partial<NatsConfig> = {}): NatsConfig {
  return {
    servers,
    prefix: 'dockpulse',
    user: undefined,
    password: undefined,
    token: undefined,
    nkeyFile: undefined,
    credsFile: undefined,
    caFile: undefined,
    certFile: undefined,
    keyFile: undefined,
    ...more,
  };
}

/** The NATS settings, created on first use. */
function nats(c: Config): NatsConfig {
  c.nats ??= natsSettings([]);
  return c.nats;
}

/** True when `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Parses `15m`, `90s`, `1h`, `500ms` or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** A retention: `0` (keep none), or a duration from `least` to ten years, in whole seconds. */
function keep(leastText: string, least: number, set: (c: Config, seconds: number) => void) {
  return (c: Config, v: string): string | undefined => {
    const ms = v.trim() === '0' ? 0 : parseDuration(v);
    if (ms === undefined || (ms !== 0 && (ms < least * 1000 || ms > 3660 * 86_400_000))) {
      return `must be 0 or a duration (like 14d or 400d) from ${leastText} to ten years`;
    }
    set(c, Math.round(ms / 1000));
    return undefined;
  };
}

function integer(min: number, max: number, set: (c: Config, n: number) => void) {
  return (c: Config, v: string): string | undefined => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min || n > max) return `must be a whole number from ${min} to ${max}`;
    set(c, n);
    return undefined;
  };
}

function duration(min: number, max: number, set: (c: Config, ms: number) => void) {
  return (c: Config, v: string): string | undefined => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min || ms > max) return `must be a duration (like 500ms, 30s, 15m) from ${min} ms to ${max} ms`;
    set(c, ms);
    return undefined;
  };
}

const SETTINGS: Setting[] = [
  { flag: 'host', env: 'DOCKPULSE_HOST', apply: (c, v) => ((c.host = v.trim()), undefined) },
  { flag: 'port', env: 'DOCKPULSE_PORT', apply: integer(0, 65535, (c, n) => (c.port = n)) },
  // No flag for the token: a command line is visible to every user of the machine.
  { flag: '', env: 'DOCKPULSE_TOKEN', apply: (c, v) => (v.length < 16 ? 'must be at least 16 characters' : ((c.token = v), undefined)) },
  {
    flag: 'origins',
    env: 'DOCKPULSE_ORIGINS',
    apply: (c, v) => {
      const origins = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const o of origins) {
        let url: URL;
        try {
          url = new URL(o);
        } catch {
          return `"${o}" is not an origin like https://example.com`;
        }
        if (url.origin !== o.replace(/\/$/, '')) return `"${o}" is not an origin like https://example.com (no path)`;
      }
      c.origins = origins.map((o) => new URL(o).origin);
      return undefined;
    },
  },
  { flag: 'interval', env: 'DOCKPULSE_INTERVAL_MS', apply: integer(1000, 60_000, (c, n) => (c.intervalMs = n)) },
  { flag: 'history', env: 'DOCKPULSE_HISTORY', apply: duration(0, 24 * 3_600_000, (c, ms) => (c.historyMs = ms)) },
  {
    flag: 'log-level',
    env: 'DOCKPULSE_LOG_LEVEL',
    apply: (c, v) => {
      if (v !== 'debug' && v !== 'info' && v !== 'warn' && v !== 'error') return 'must be debug, info, warn or error';
      c.logLevel = v;
      return undefined;
    },
  },
  { flag: 'web-root', env: 'DOCKPULSE_WEB_ROOT', apply: (c, v) => ((c.webRoot = v), undefined) },
  { flag: 'send-timeout', env: 'DOCKPULSE_SEND_TIMEOUT_MS', apply: integer(1, 60_000, (c, n) => (c.outbox.sendTimeoutMs = n)) },
  { flag: 'stall-timeout', env: 'DOCKPULSE_STALL_TIMEOUT_MS', apply: integer(100, 600_000, (c, n) => (c.outbox.stallTimeoutMs = n)) },
  { flag: 'queue-frames', env: 'DOCKPULSE_QUEUE_FRAMES', apply: integer(1, 1_000_000, (c, n) => (c.outbox.maxQueuedFrames = n)) },
  { flag: 'queue-bytes', env: 'DOCKPULSE_QUEUE_BYTES', apply: integer(1024, 1 << 30, (c, n) => (c.outbox.maxQueuedBytes = n)) },
  { flag: 'high-water', env: 'DOCKPULSE_HIGH_WATER_BYTES', apply: integer(1024, 1 << 30, (c, n) => (c.outbox.highWaterMarkBytes = n)) },
  { flag: 'coalesce', env: 'DOCKPULSE_COALESCE_MS', apply: integer(0, 1000, (c, n) => (c.coalesceMs = n)) },
  { flag: 'grace', env: 'DOCKPULSE_GRACE_MS', apply: integer(0, 600_000, (c, n) => (c.graceMs = n)) },
  { flag: 'heartbeat', env: 'DOCKPULSE_HEARTBEAT_MS', apply: integer(1000, 600_000, (c, n) => (c.heartbeatMs = n)) },
  { flag: 'session-ttl', env: 'DOCKPULSE_SESSION_TTL', apply: duration(1000, 30 * 86_400_000, (c, ms) => (c.sessionTtlMs = ms)) },
  { flag: 'state-dir', env: 'DOCKPULSE_STATE_DIR', apply: (c, v) => ((c.stateDir = v), undefined) },
  {
    flag: 'frame-ancestors',
    env: 'DOCKPULSE_FRAME_ANCESTORS',
    apply: (c, v) => {
      const sources = v.split(/[\s,]+/).filter(Boolean);
      // Only origins and the CSP keywords that make sense here; anything else could break the header.
      const bad = sources.find((x) => !/^('self'|'none'|https?:\/\/[A-Za-z0-9.*:[\]-]+)$/.test(x));
      if (bad) return `"${bad}" is not an origin (https://example.com, https://*.example.com) or 'self'`;
      c.frameAncestors = sources;
      return undefined;
    },
  },
  {
    flag: 'public-url',
    env: 'DOCKPULSE_PUBLIC_URL',
    apply: (c, v) => {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return 'must be a URL like https://dockpulse.example.com';
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
      c.publicUrl = url.href.replace(/\/$/, '');
      return undefined;
    },
  },
  {
    flag: 'source',
    env: 'DOCKPULSE_SOURCE',
    apply: (c, v) => (v === 'auto' || v === 'cgroup' || v === 'docker' ? ((c.source = v), undefined) : 'must be auto, cgroup or docker'),
  },
  { flag: 'host-root', env: 'DOCKPULSE_HOST_ROOT', apply: (c, v) => ((c.hostRoot = v), undefined) },
  { flag: 'proc-root', env: 'DOCKPULSE_PROC_ROOT', apply: (c, v) => ((c.procRoot = v), undefined) },
  { flag: 'cgroup-root', env: 'DOCKPULSE_CGROUP_ROOT', apply: (c, v) => ((c.cgroupRoot = v), undefined) },
  {
    flag: 'max-subscriptions',
    env: 'DOCKPULSE_MAX_SUBSCRIPTIONS',
    apply: integer(1, 100_000, (c, n) => (c.limits = { ...c.limits, maxSubscriptions: n })),
  },
  {
    flag: 'max-connections',
    env: 'DOCKPULSE_MAX_CONNECTIONS',
    apply: integer(1, 1_000_000, (c, n) => (c.connections = { ...c.connections, total: n })),
  },
  {
    flag: 'max-connections-per-address',
    env: 'DOCKPULSE_MAX_CONNECTIONS_PER_ADDRESS',
    apply: integer(0, 1_000_000, (c, n) => (c.connections = { ...c.connections, perAddress: n })),
  },
  {
    flag: 'max-unlisted-topics',
    env: 'DOCKPULSE_MAX_UNLISTED_TOPICS',
    apply: integer(0, 100_000, (c, n) => (c.maxUnlistedTopics = n)),
  },
  {
    flag: 'host-name',
    env: 'DOCKPULSE_HOST_NAME',
    apply: (c, v) =>
      HOST_NAME.test(v) ? ((c.hostName = v), undefined) : 'must be 1 to 63 letters, digits, _ or -, starting with a letter or digit',
  },
  {
    flag: 'local-engine',
    env: 'DOCKPULSE_LOCAL_ENGINE',
    apply: (c, v) => (v === 'true' || v === 'false' ? ((c.localEngine = v === 'true'), undefined) : 'must be true or false'),
  },
  {
    flag: 'engines',
    env: 'DOCKPULSE_ENGINES',
    apply: (c, v) => {
      const engines: RemoteEngine[] = [];
      for (const item of v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const eq = item.indexOf('=');
        const name = item.slice(0, eq);
        const url = item.slice(eq + 1);
        if (eq < 1 || !HOST_NAME.test(name)) return `"${item}" is not name=url with a host name (letters, digits, _ or -)`;
        if (!/^(unix:\/\/\/.+|tcp:\/\/[^/\s]+|http:\/\/[^/\s]+)$/.test(url)) {
          return `"${item}": the address must be unix:///path, tcp://host:port (TLS) or http://host:port`;
        }
        if (engines.some((e) => e.name === name)) return `"${name}" is named twice`;
        engines.push({ name, url });
      }
      c.engines = engines;
      return undefined;
    },
  },
  { flag: 'engine-certs', env: 'DOCKPULSE_ENGINE_CERTS', apply: (c, v) => ((c.engineCertsDir = v), undefined) },
  {
    flag: 'record',
    env: 'DOCKPULSE_RECORD',
    apply: (c, v) => (v === 'all' || v === 'watched' ? ((c.record = v), undefined) : 'must be all or watched'),
  },
  {
    flag: 'keep-minutes',
    env: 'DOCKPULSE_KEEP_MINUTES',
    apply: keep('a day', 86_400, (c, sec) => (c.keepMinutesS = sec)),
  },
  {
    flag: 'keep-hours',
    env: 'DOCKPULSE_KEEP_HOURS',
    apply: keep('a week', 7 * 86_400, (c, sec) => (c.keepHoursS = sec)),
  },
  { flag: 'max-alert-rules', env: 'DOCKPULSE_MAX_ALERT_RULES', apply: integer(0, 10_000, (c, n) => (c.maxAlertRules = n)) },
  {
    flag: 'nats-url',
    env: 'DOCKPULSE_NATS_URL',
    apply: (c, v) => {
      const servers = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = servers.find((s) => !/^(nats|tls):\/\/[^/\s@]+$/.test(s));
      if (bad) return `"${bad}" is not nats://host:port or tls://host:port (give credentials in their own settings)`;
      nats(c).servers = servers;
      return undefined;
    },
  },
  {
    flag: 'nats-prefix',
    env: 'DOCKPULSE_NATS_PREFIX',
    apply: (c, v) =>
      NATS_PREFIX.test(v) ? ((nats(c).prefix = v), undefined) : 'must be subject tokens (letters, digits, _ or -) joined by dots',
  },
  { flag: 'nats-user', env: 'DOCKPULSE_NATS_USER', apply: (c, v) => ((nats(c).user = v), undefined) },
  // Secrets have no flag: a command line is visible to every user of the machine.
  { flag: '', env: 'DOCKPULSE_NATS_PASSWORD', apply: (c, v) => ((nats(c).password = v), undefined) },
  { flag: '', env: 'DOCKPULSE_NATS_TOKEN', apply: (c, v) => ((nats(c).token = v), undefined) },
  { flag: 'nats-nkey', env: 'DOCKPULSE_NATS_NKEY', apply: (c, v) => ((nats(c).nkeyFile = v), undefined) },
  { flag: 'nats-creds', env: 'DOCKPULSE_NATS_CREDS', apply: (c, v) => ((nats(c).credsFile = v), undefined) },
  { flag: 'nats-ca', env: 'DOCKPULSE_NATS_CA', apply: (c, v) => ((nats(c).caFile = v), undefined) },
  { flag: 'nats-cert', env: 'DOCKPULSE_NATS_CERT', apply: (c, v) => ((nats(c).certFile = v), undefined) },
  { flag: 'nats-key', env: 'DOCKPULSE_NATS_KEY', apply: (c, v) => ((nats(c).keyFile = v), undefined) },
  { flag: 'agent-heartbeat', env: 'DOCKPULSE_AGENT_HEARTBEAT_MS', apply: integer(200, 60_000, (c, n) => (c.agentHeartbeatMs = n)) },
  {
    flag: '',
    env: 'DOCKPULSE_SHARE_SECRET',
    apply: (c, v) => (/^[0-9a-f]{64}$/.test(v) ? ((c.shareSecret = v), undefined) : 'must be 64 hex digits (openssl rand -hex 32)'),
  },
  {
    flag: '',
    env: 'DOCKPULSE_METRICS_TOKEN',
    apply: (c, v) => (v.length < 16 ? 'must be at least 16 characters' : ((c.metricsToken = v), undefined)),
  },
  {
    flag: 'metrics-labels',
    env: 'DOCKPULSE_METRICS_LABELS',
    apply: (c, v) => {
      const labels = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (labels.some((l) => l !== 'compose')) return 'may only be compose';
      c.metricsLabels = labels as 'compose'[];
      return undefined;
    },
  },
];

/** The defaults: the seed's 100 ms send timeout and 1024-frame buffer, a 1 s interval, 15 minutes of history. */
export function defaultConfig(): Config {
  return {
    host: '127.0.0.1',
    port: 8080,
    token: undefined,
    origins: [],
    intervalMs: 1000,
    historyMs: 15 * 60_000,
    logLevel: 'info',
    webRoot: undefined,
    limits: { ...DEFAULT_LIMITS },
    outbox: {
      highWaterMarkBytes: 1024 * 1024,
      maxQueuedFrames: 1024,
      maxQueuedBytes: 8 * 1024 * 1024,
      sendTimeoutMs: 100,
      stallTimeoutMs: 15_000,
    },
    graceMs: 5_000,
    coalesceMs: 20,
    heartbeatMs: 30_000,
    sessionTtlMs: SESSION_TTL_MS,
    stateDir: defaultStateDir(process.env),
    frameAncestors: [],
    publicUrl: undefined,
    source: 'auto',
    hostRoot: undefined,
    procRoot: undefined,
    cgroupRoot: undefined,
    hostName: machineHostName(),
    localEngine: undefined,
    engines: [],
    engineCertsDir: undefined,
    record: 'all',
    keepMinutesS: 14 * 86_400,
    keepHoursS: 400 * 86_400,
    nats: undefined,
    agentHeartbeatMs: 1000,
    shareSecret: undefined,
    metricsToken: undefined,
    metricsLabels: [],
    maxAlertRules: 100,
    maxUnlistedTopics: 256,
    connections: { total: defaultMaxConnections(), perAddress: 256 },
  };
}

/** Descriptors kept for what is not a client: the engine's streams, files, the history database. */
const RESERVED_FILES = 64;

/**
 * Connections the gateway takes at once unless told: as many as its descriptor limit leaves room for, at most
 * 10,000. Past the limit, refusing a connection is better than failing to open a file for everyone.
 */
function defaultMaxConnections(limits = '/proc/self/limits'): number {
  let text: string;
  try {
    text = readFileSync(limits, 'utf8');
  } catch {
    return 10_000;
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
  if (soft === undefined || soft === 'unlimited') return 10_000;
  return Math.max(16, Math.min(10_000, Number(soft) - RESERVED_FILES));
}

/** `$XDG_STATE_HOME/dockpulse`, else `~/.local/state/dockpulse`. */
function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const base = env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state');
  return join(base, 'dockpulse');
}

/** One line per setting, for `--help`. */
export function usage(): string {
  const lines = SETTINGS.map((s) => `  ${s.flag ? `--${s.flag}=VALUE`.padEnd(28) : ''.padEnd(28)}${s.env}`);
  return `Usage: dockpulse [--flag=value …]\nEvery setting is a flag or an environment variable; flags win.\n${lines.join('\n')}\nDocker is reached through DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the docker CLI does.\n`;
}

/**
 * Reads the configuration from flags (`--port=8080` or `--port 8080`) and the environment. Refuses to listen
 * beyond loopback without an access token.
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): Result<Config, string> {
  const config = defaultConfig();
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) return err(`unexpected argument "${arg}"`);
    const name = m[1]!;
    const value = m[2] ?? argv[++i];
    if (value === undefined) return err(`--${name} needs a value`);
    if (!SETTINGS.some((s) => s.flag === name)) return err(`unknown flag --${name}`);
    flags.set(name, value);
  }
  for (const s of SETTINGS) {
    const fromFlag = s.flag ? flags.get(s.flag) : undefined;
    const value = fromFlag ?? env[s.env];
    if (value === undefined || value === '') continue;
    const problem = s.apply(config, value);
    if (problem) return err(`${fromFlag !== undefined ? `--${s.flag}` : s.env} ${problem}`);
  }
  if (!isLoopback(config.host) && config.token === undefined) {
    return err(`refusing to listen on ${config.host} without an access token: set DOCKPULSE_TOKEN, or listen on 127.0.0.1`);
  }
  if (config.outbox.sendTimeoutMs >= config.outbox.stallTimeoutMs) {
    return err('the stall timeout must be longer than the send timeout');
  }
  const bus = config.nats;
  if (bus) {
    if (bus.servers.length === 0) return err('DOCKPULSE_NATS_URL is needed for the other NATS settings');
    const ways = [bus.user !== undefined || bus.password !== undefined, bus.token, bus.nkeyFile, bus.credsFile].filter(Boolean).length;
    if (ways > 1) return err('give NATS one way to authenticate: a user and password, a token, an NKEY or a creds file');
    if ((bus.user === undefined) !== (bus.password === undefined))
      return err('DOCKPULSE_NATS_USER and DOCKPULSE_NATS_PASSWORD go together');
    if ((bus.certFile === undefined) !== (bus.keyFile === undefined)) return err('DOCKPULSE_NATS_CERT and DOCKPULSE_NATS_KEY go together');
  }
  const names = [...(readsLocalEngine(config) ? [config.hostName] : []), ...config.engines.map((e) => e.name)];
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) return err(`two hosts are named "${twice}": DOCKPULSE_HOST_NAME and DOCKPULSE_ENGINES must not repeat a name`);
  return ok(config);
}
