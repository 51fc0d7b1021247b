/**
 * SYNTHETIC FEED, FOR THE BROWSER BENCHMARK ONLY. It serves the built web app and speaks the dockpulse v1
 * protocol with made-up containers and samples, so the dashboard can be measured with hundreds of containers
 * without a Docker engine sampling them (which on a small machine would steal the CPU being measured). It is
 * not a dockpulse server: no Docker, no limits, no auth. The e2e tests never use it.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CONTAINERS_TOPIC,
  DEFAULT_LIMITS,
  PROTOCOL,
  STATS_TOPIC_PREFIX,
  type ContainerSummary,
  type EngineStatus,
  type HostInfo,
  type Sample,
  type ServerMessage,
} from '@dockpulse/shared';

const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

/** The one host the synthetic containers are on. */
const HOST = 'bench';
const ENGINE: EngineStatus = { status: 'up', endpoint: 'synthetic://bench' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export interface SyntheticFeedOptions {
  containers: number;
  intervalMs: number;
  /** History sent on subscribe, as the real server sends up to its `DOCKPULSE_HISTORY`. */
  historyMs: number;
}

export interface SyntheticFeed {
  url: string;
  /** Names of the running containers, in the order they were made. */
  running: string[];
  /** Stats frames sent so far. */
  framesSent(): number;
  close(): Promise<void>;
}

/** A container of the synthetic set, with the parameters of its random walk. */
interface FakeContainer {
  summary: ContainerSummary;
  cpuBase: number;
  memBase: number;
  netBase: number;
  blkBase: number;
  pids: number;
  rx: number;
  tx: number;
  read: number;
  write: number;
}

/** Deterministic pseudo-random numbers, so two bench runs feed the same load. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeContainers(n: number, rand: () => number): FakeContainer[] {
  const projects = ['shop', 'blog', 'metrics', 'auth', 'search'];
  const services = ['web', 'api', 'worker', 'db', 'cache', 'queue'];
  const out: FakeContainer[] = [];
  for (let i = 0; i < n; i++) {
    const id = Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
    const inCompose = i % 3 !== 0;
    // A few stopped ones, as on a real host.
    const stopped = i % 25 === 24;
    const summary: ContainerSummary = {
      host: HOST,
      id,
      name: inCompose ? `${projects[i % projects.length]}-${services[i % services.length]}-${i}` : `synthetic-${i}`,
      image: inCompose ? `registry.example/${services[i % services.length]}:1.${i % 9}` : 'busybox:latest',
      state: stopped ? 'exited' : 'running',
      status: stopped ? 'Exited (0) 3 hours ago' : 'Up 2 hours',
      createdAt: Date.now() - 3 * 3_600_000,
    };
    if (inCompose) summary.compose = { project: projects[i % projects.length]!, service: services[i % services.length]! };
    out.push({
      summary,
      cpuBase: rand() < 0.1 ? 20 + rand() * 80 : rand() * 3,
      memBase: (16 + rand() * 800) * 1024 * 1024,
      netBase: rand() * 200_000,
      blkBase: rand() < 0.3 ? rand() * 2_000_000 : 0,
      pids: 1 + Math.floor(rand() * 40),
      rx: 0,
      tx: 0,
      read: 0,
      write: 0,
    });
  }
  return out;
}

function sample(c: FakeContainer, t: number, intervalMs: number, rand: () => number): Sample {
  const s = intervalMs / 1000;
  const cpu = Math.max(0, c.cpuBase * (0.7 + 0.6 * rand()));
  const rxRate = c.netBase * (0.5 + rand());
  const txRate = c.netBase * 0.3 * (0.5 + rand());
  const readRate = c.blkBase * rand();
  const writeRate = c.blkBase * 0.5 * rand();
  c.rx += rxRate * s;
  c.tx += txRate * s;
  c.read += readRate * s;
  c.write += writeRate * s;
  const limit = 2 * 1024 ** 3;
  const used = c.memBase * (0.95 + 0.1 * rand());
  return {
    host: HOST,
    id: c.summary.id,
    t,
    cpu,
    mem: { used, limit, percent: (used / limit) * 100 },
    net: { rx: c.rx, tx: c.tx, rxRate, txRate },
    blk: { read: c.read, write: c.write, readRate, writeRate },
    pids: c.pids + (rand() < 0.05 ? 1 : 0),
  };
}

/** Starts the synthetic feed on a free port of 127.0.0.1. */
export async function startSyntheticFeed(opts: SyntheticFeedOptions): Promise<SyntheticFeed> {
  const rand = mulberry32(42);
  const containers = makeContainers(opts.containers, rand);
  const byId = new Map(containers.map((c) => [c.summary.id, c]));
  let frames = 0;
  const hosts = (): HostInfo[] => [
    {
      name: HOST,
      state: 'up',
      lastSeen: Date.now(),
      containers: containers.length,
      running: containers.filter((c) => c.summary.state === 'running').length,
      engine: ENGINE,
    },
  ];
  /** The id a stats topic names: `stats:<host>/<id>`, or the first version's `stats:<id>`. */
  const topicId = (topic: string): string => {
    const ref = topic.slice(STATS_TOPIC_PREFIX.length);
    return ref.startsWith(`${HOST}/`) ? ref.slice(HOST.length + 1) : ref;
  };

  const http: Server = createServer((req, res) => {
    void (async () => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
      let file = join(WEB_DIST, path);
      if (!file.startsWith(WEB_DIST) || extname(file) === '') file = join(WEB_DIST, 'index.html');
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  const wss = new WebSocketServer({
    server: http,
    path: '/ws',
    handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
  });

  const sockets = new Set<{ ws: WebSocket; topics: Set<string> }>();
  const send = (ws: WebSocket, msg: ServerMessage) => ws.send(JSON.stringify(msg));

  wss.on('connection', (ws) => {
    const session = { ws, topics: new Set<string>() };
    sockets.add(session);
    ws.on('close', () => sockets.delete(session));
    send(ws, {
      type: 'hello',
      protocol: PROTOCOL,
      server: 'synthetic-feed (bench only)',
      intervalMs: opts.intervalMs,
      historyMs: opts.historyMs,
      limits: { ...DEFAULT_LIMITS },
      scope: { kind: 'all' },
      hosts: hosts(),
    });
    ws.on('message', (data) => {
      const msg = JSON.parse((data as Buffer).toString()) as { type: string; topics?: string[] };
      if (msg.type === 'ping') return send(ws, { type: 'pong', t: Date.now() });
      for (const topic of msg.topics ?? []) {
        if (msg.type === 'unsubscribe') {
          session.topics.delete(topic);
          continue;
        }
        session.topics.add(topic);
        if (topic === CONTAINERS_TOPIC) {
          send(ws, {
            type: 'containers',
            containers: containers.map((c) => c.summary),
            engine: ENGINE,
            hosts: hosts(),
          });
          continue;
        }
        const c = byId.get(topicId(topic));
        if (!c) continue;
        if (c.summary.state !== 'running') {
          send(ws, { type: 'state', topic, state: 'stopped' });
          continue;
        }
        const now = Date.now();
        const n = Math.floor(opts.historyMs / opts.intervalMs);
        const samples: Sample[] = [];
        for (let i = n; i > 0; i--) samples.push(sample(c, now - i * opts.intervalMs, opts.intervalMs, rand));
        send(ws, { type: 'history', topic, samples });
      }
      return undefined;
    });
  });

  // One stats frame per socket per tick with every sample due, as the real server batches them.
  const tick = setInterval(() => {
    const t = Date.now();
    const fresh = new Map<string, Sample>();
    for (const c of containers) if (c.summary.state === 'running') fresh.set(c.summary.id, sample(c, t, opts.intervalMs, rand));
    for (const { ws, topics } of sockets) {
      const samples: Sample[] = [];
      for (const topic of topics) {
        const s = fresh.get(topicId(topic));
        if (s) samples.push(s);
      }
      if (samples.length > 0) {
        send(ws, { type: 'stats', samples });
        frames++;
      }
    }
  }, opts.intervalMs);

  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    running: containers.filter((c) => c.summary.state === 'running').map((c) => c.summary.name),
    framesSent: () => frames,
    close: async () => {
      clearInterval(tick);
      for (const { ws } of sockets) ws.terminate();
      await new Promise<void>((ok) => wss.close(() => ok()));
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  };
}
