/**
 * What watching containers costs the machine: total CPU of the gateway, the Docker daemon, containerd and
 * the shims while N idle containers are watched at 1 Hz, with the cgroup source and with the Docker API
 * source (each with 1 and with 20 dashboards connected), next to `docker stats` streaming the same
 * containers and next to nobody watching, in one run, alternating, with medians over rounds.
 *
 *   pnpm --filter @dockpulse/server bench:upstream [--containers 50] [--rounds 3] [--seconds 30]
 *       [--warmup 30] [--viewers 1,20] [--phases idle,cgroup,docker,docker-stats,podman] [--network default|none]
 *
 * `--phases podman` adds (or, alone, runs only) the Podman phase of `upstream-podman.ts`: the same containers
 * on a rootful Podman, read through the cgroup files and through Podman's API, next to `podman stats`.
 *
 * Windows are 30 s because every containerd shim does a little work every 30 s (≈ 12 ms each, staggered
 * over about 10 s): a 20 s window catches that wave or misses it, and the daemons' "idle" moved by 20 ms/s
 * from window to window. The gateway is measured after `--warmup` seconds, once V8 has compiled its hot
 * paths: in its first seconds, optimizing compilation was a third of its CPU, which a gateway that runs for
 * days does not pay. Other phases get 5 s to open their streams.
 *
 * CPU is each thread's scheduler time (`schedstat`, ns), summed over the processes. A dashboard is a
 * WebSocket that subscribes to every container's stats, as the overview does. Per-sample figures divide by
 * the samples the first dashboard received; `docker stats` is charged per sample at the rate the Docker
 * source received in the same round, since both read the same engine collector. The first dashboard also
 * reports how many containers it heard from and the gaps between a container's samples, which show whether
 * every container is still read once a second (`--containers 1000 --network none` for a large host: a
 * bridge takes at most 1024 ports).
 *
 * Needs a running engine, the local/busybox:latest image and a built gateway (`pnpm build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { machine, writeResults } from './fanout-harness.js';
import { cpuDelta, cpuOf, median, pidsByName } from './proc-cpu.js';
import { DockerProxy } from '../test/helpers/docker-proxy.js';
import { podmanPhase } from './upstream-podman.js';
import { IdleContainers, docker } from './bench-containers.js';
import { hostMachine } from './host-machine.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const CONTAINERS = Number(args.get('containers') ?? 50);
const ROUNDS = Number(args.get('rounds') ?? 3);
const SECONDS = Number(args.get('seconds') ?? 30);
const GATEWAY_WARMUP_MS = Number(args.get('warmup') ?? 30) * 1000;
const VIEWERS = (args.get('viewers') ?? '1,20').split(',').map(Number);
const PHASES = new Set((args.get('phases') ?? 'idle,cgroup,docker,docker-stats').split(','));
const NETWORK = args.get('network') === 'none' ? 'none' : 'default';
const WARMUP_MS = 5000;
const PREFIX = `dpbench-${process.pid}-`;
const PORT = 18700 + (process.pid % 200);
const ENGINE_SOCKET = process.env['DOCKER_HOST']?.startsWith('unix://')
  ? process.env['DOCKER_HOST'].slice('unix://'.length)
  : '/var/run/docker.sock';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function daemonPids(): number[] {
  return pidsByName(/^(dockerd|containerd|containerd-shim.*)$/);
}

interface Window {
  /** Daemons' CPU, ms per second. */
  daemon: number;
  /** The gateway's or the CLI's CPU, ms per second. */
  client: number;
}

/** The 1-minute load average at the start of each window, for the results: the machine may be shared. */
const loads: number[] = [];

async function measure(clientPids: () => number[], onStart: () => void = () => {}, warmupMs = WARMUP_MS): Promise<Window> {
  await sleep(warmupMs);
  onStart();
  loads.push(loadavg()[0]!);
  const dp = daemonPids();
  const cp = clientPids();
  const d0 = cpuOf(dp);
  const c0 = cpuOf(cp);
  await sleep(SECONDS * 1000);
  return { daemon: cpuDelta(d0, cpuOf(dp)) / SECONDS, client: cpuDelta(c0, cpuOf(cp)) / SECONDS };
}

/** What the first dashboard saw of the samples' regularity over the window. */
interface Regularity {
  /** Containers it got at least one sample of. */
  heard: number;
  /** 99th percentile and largest time between two samples of one container (their `t`), ms. */
  gapP99: number;
  gapMax: number;
}

/** What the gateway asked of the engine during the window, seen by a proxy in front of the engine's socket. */
interface EngineTraffic {
  requests: number;
  bytesFromEngine: number;
}

async function withGateway(
  ids: string[],
  source: 'cgroup' | 'docker',
  viewers: number,
): Promise<Window & Regularity & EngineTraffic & { rate: number }> {
  const state = mkdtempSync(join(tmpdir(), 'dpbench-state-'));
  const proxy = await DockerProxy.open(ENGINE_SOCKET);
  const gw: ChildProcess = spawn(process.execPath, [resolve(here, '../dist/main.js')], {
    env: {
      ...process.env,
      DOCKER_HOST: `unix://${proxy.path}`,
      DOCKPULSE_PORT: String(PORT),
      DOCKPULSE_LOG_LEVEL: 'warn',
      DOCKPULSE_SOURCE: source,
      DOCKPULSE_STATE_DIR: state,
      // A dashboard of every container: past the default 256 topics a socket, the operator raises the limit.
      DOCKPULSE_MAX_SUBSCRIPTIONS: String(Math.max(256, ids.length + 1)),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${PORT}/healthz`);
        if (r.ok) break;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    let samples = 0;
    let counting = false;
    const last = new Map<string, number>();
    const gaps: number[] = [];
    // In frames of 100 topics, as the web client sends them, well inside the 64 KiB frame limit.
    const subscribes: string[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      subscribes.push(JSON.stringify({ type: 'subscribe', topics: ids.slice(i, i + 100).map((id) => `stats:${id}`), history: 0 }));
    }
    for (let v = 0; v < viewers; v++) {
      const ws = new WebSocket(`ws://127.0.0.1:${PORT}/ws`, ['dockpulse.v1']);
      ws.on('open', () => subscribes.forEach((m) => ws.send(m)));
      ws.on('message', (d) => {
        const m = JSON.parse((d as Buffer).toString()) as { type: string; samples?: { id: string; t: number }[]; message?: string };
        if (m.type === 'error' && v === 0) console.error(`the gateway refused the dashboard: ${m.message}`);
        if (m.type !== 'stats' || v !== 0 || !m.samples) return;
        samples += m.samples.length;
        if (!counting) return;
        for (const s of m.samples) {
          const before = last.get(s.id);
          if (before !== undefined) gaps.push(s.t - before);
          last.set(s.id, s.t);
        }
      });
      sockets.push(ws);
    }
    let start = 0;
    let traffic: EngineTraffic = { requests: 0, bytesFromEngine: 0 };
    const cpu = await measure(
      () => [gw.pid!],
      () => {
        start = samples;
        counting = true;
        traffic = { requests: proxy.requests.length, bytesFromEngine: proxy.bytesFromEngine };
      },
      GATEWAY_WARMUP_MS,
    );
    traffic = { requests: proxy.requests.length - traffic.requests, bytesFromEngine: proxy.bytesFromEngine - traffic.bytesFromEngine };
    gaps.sort((a, b) => a - b);
    const gapP99 = gaps.length > 0 ? gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.99))]! : NaN;
    return { ...cpu, ...traffic, rate: (samples - start) / SECONDS, heard: last.size, gapP99, gapMax: gaps.at(-1) ?? NaN };
  } finally {
    for (const ws of sockets) ws.terminate();
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    await proxy.dispose();
    rmSync(state, { recursive: true, force: true });
  }
}

async function withDockerStats(ids: string[]): Promise<Window> {
  const cli = spawn('docker', ['stats', '--format', '{{json .}}', ...ids], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    return await measure(() => [cli.pid!]);
  } finally {
    // The docker CLI's stats loop ignores SIGTERM.
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
  }
}

interface Row {
  phase: string;
  daemon: number[];
  client: number[];
  /** Samples per second the first dashboard received (the engine's, for docker stats). */
  rate: number[];
  heard: number[];
  gapP99: number[];
  gapMax: number[];
  /** What the gateway asked of the engine in each window (none for docker stats, which is not proxied). */
  requests: number[];
  bytesFromEngine: number[];
}

async function main(): Promise<void> {
  if (PHASES.has('podman')) {
    const rows = await podmanPhase({
      containers: CONTAINERS,
      rounds: ROUNDS,
      seconds: SECONDS,
      warmupMs: GATEWAY_WARMUP_MS,
      network: NETWORK,
      port: PORT,
      main: resolve(here, '../dist/main.js'),
    });
    writeResults(`upstream-podman-${CONTAINERS}c`, { machine: machine(), containers: CONTAINERS, rounds: ROUNDS, seconds: SECONDS, rows });
    if (PHASES.size === 1) return;
  }
  const host = {
    ...machine(),
    ...hostMachine(),
    engine: docker('version', '--format', '{{.Server.Version}}'),
    cgroupDriver: docker('info', '--format', '{{.CgroupDriver}}'),
  };
  /** The machine in a few words, printed beside each ratio: figures differ from one machine to the next. */
  const on = `on ${host.model} ×${host.nproc}, kernel ${host.kernel}, cgroup ${host.cgroup}, dockerd ${host.engine}`;
  console.log(`machine: ${JSON.stringify(host)}`);
  console.error(`starting ${CONTAINERS} idle containers…`);
  const t0 = Date.now();
  const containers = new IdleContainers(PREFIX, 'dockpulse.bench=upstream', NETWORK);
  try {
    const ids = await containers.grow(CONTAINERS);
    console.error(`${ids.length} containers running after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const rows = new Map<string, Row>();
    const row = (phase: string): Row => {
      let r = rows.get(phase);
      if (!r)
        rows.set(
          phase,
          (r = { phase, daemon: [], client: [], rate: [], heard: [], gapP99: [], gapMax: [], requests: [], bytesFromEngine: [] }),
        );
      return r;
    };
    const idle = row('nobody watching');
    for (let r = 0; r < ROUNDS; r++) {
      console.error(`round ${r + 1}/${ROUNDS}`);
      const w = await measure(() => []);
      idle.daemon.push(w.daemon);
      idle.client.push(0);
      idle.rate.push(0);
      let engineRate = NaN;
      for (const source of ['cgroup', 'docker'] as const) {
        if (!PHASES.has(source)) continue;
        for (const viewers of VIEWERS) {
          const gw = await withGateway(ids, source, viewers);
          const x = row(`dockpulse ${source}, ${viewers} viewer${viewers > 1 ? 's' : ''}`);
          x.daemon.push(gw.daemon);
          x.client.push(gw.client);
          x.rate.push(gw.rate);
          x.heard.push(gw.heard);
          x.gapP99.push(gw.gapP99);
          x.gapMax.push(gw.gapMax);
          x.requests.push(gw.requests);
          x.bytesFromEngine.push(gw.bytesFromEngine);
          if (source === 'docker' && viewers === VIEWERS[0]) engineRate = gw.rate;
        }
      }
      if (PHASES.has('docker-stats')) {
        const ds = await withDockerStats(ids);
        const x = row('docker stats');
        x.daemon.push(ds.daemon);
        x.client.push(ds.client);
        x.rate.push(engineRate);
      }
    }

    const idleDaemon = median(idle.daemon);
    console.log(`\n${ids.length} idle containers (network ${NETWORK}), ${ROUNDS} rounds of ${SECONDS} s, medians`);
    console.log('CPU in ms per second (10 = 1 % of one core); extra = daemons above idle + gateway or CLI');
    console.log(
      `the daemons' idle windows ranged ${Math.min(...idle.daemon).toFixed(1)} to ${Math.max(...idle.daemon).toFixed(1)} ms/s: differences below that spread are noise\n`,
    );
    console.log(
      'phase'.padEnd(28) +
        'daemons'.padStart(9) +
        'above idle'.padStart(12) +
        'gw/CLI'.padStart(9) +
        'extra'.padStart(9) +
        'samples/s'.padStart(11) +
        'ms/sample'.padStart(11) +
        'gw ms/sample'.padStart(14) +
        'engine req/KiB'.padStart(16) +
        'heard'.padStart(7) +
        'gap p99/max ms'.padStart(16),
    );
    const out: Record<string, unknown>[] = [];
    /** Per sample: total extra, and the gateway or CLI alone. */
    const perSample = new Map<string, { total: number; own: number; quiet: boolean }>();
    for (const x of rows.values()) {
      const d = median(x.daemon);
      const c = median(x.client);
      const extra = d - idleDaemon + c;
      const rate = median(x.rate.filter((n) => Number.isFinite(n)));
      const ms = x === idle || !(rate > 0) ? NaN : extra / rate;
      const own = x === idle || !(rate > 0) ? NaN : c / rate;
      // The engine was asked nothing and sent nothing: whatever the daemons did in the window was not for us.
      const quiet = x.requests.length > 0 && x.requests.every((n) => n === 0) && x.bytesFromEngine.every((n) => n === 0);
      if (x !== idle) perSample.set(x.phase, { total: ms, own, quiet });
      const traffic = x.requests.length ? `${Math.max(...x.requests)}/${(Math.max(...x.bytesFromEngine) / 1024 / SECONDS).toFixed(1)}` : '';
      console.log(
        x.phase.padEnd(28) +
          d.toFixed(1).padStart(9) +
          (d - idleDaemon).toFixed(1).padStart(12) +
          c.toFixed(1).padStart(9) +
          extra.toFixed(1).padStart(9) +
          (x === idle ? '' : rate.toFixed(1)).padStart(11) +
          (Number.isNaN(ms) ? '' : ms.toFixed(3)).padStart(11) +
          (Number.isNaN(own) ? '' : own.toFixed(3)).padStart(14) +
          traffic.padStart(16) +
          (x.heard.length ? String(Math.min(...x.heard)) : '').padStart(7) +
          (x.gapP99.length ? `${median(x.gapP99).toFixed(0)}/${Math.max(...x.gapMax).toFixed(0)}` : '').padStart(16),
      );
      out.push({
        phase: x.phase,
        daemonMsPerS: d,
        clientMsPerS: c,
        extraMsPerS: extra,
        samplesPerS: rate,
        msPerSample: ms,
        clientMsPerSample: own,
        engineRequestsMax: x.requests.length ? Math.max(...x.requests) : null,
        bytesFromEngineMax: x.bytesFromEngine.length ? Math.max(...x.bytesFromEngine) : null,
        heardMin: x.heard.length ? Math.min(...x.heard) : null,
        gapP99Ms: x.gapP99.length ? median(x.gapP99) : null,
        gapMaxMs: x.gapMax.length ? Math.max(...x.gapMax) : null,
        rounds: { ...x, phase: undefined },
      });
    }
    console.log('(engine req/KiB: the most requests, and KiB/s, the gateway got from the engine in one window)');
    console.log(`load average (1 min) at the windows' starts: ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}`);
    const ratios: Record<string, number> = {};
    const cli = perSample.get('docker stats');
    if (cli !== undefined) {
      console.log('');
      for (const [phase, ms] of perSample) {
        if (!phase.startsWith('dockpulse cgroup')) continue;
        ratios[`docker stats over ${phase}, measured`] = cli.total / ms.total;
        let line = `docker stats costs ${(cli.total / ms.total).toFixed(1)}× ${phase} per sample, as measured`;
        if (ms.quiet) {
          // Charging the daemons' noise to a gateway that asked nothing of them would be measuring the noise.
          ratios[`docker stats over ${phase}, daemons' share zero`] = cli.total / ms.own;
          line += `; ${(cli.total / ms.own).toFixed(1)}× counting the daemons' share as zero (no request, no byte from the engine)`;
        }
        console.log(`${line}; ${on}`);
      }
    }
    for (const source of ['cgroup', 'docker']) {
      const one = rows.get(`dockpulse ${source}, ${VIEWERS[0]} viewer${VIEWERS[0]! > 1 ? 's' : ''}`);
      const many = VIEWERS.length > 1 ? rows.get(`dockpulse ${source}, ${VIEWERS.at(-1)} viewers`) : undefined;
      if (!one || !many) continue;
      const total = (x: Row) => median(x.daemon) - idleDaemon + median(x.client);
      const name = `${source}: ${VIEWERS.at(-1)} viewers over ${VIEWERS[0]}`;
      ratios[`${name}, total`] = total(many) / total(one);
      ratios[`${name}, gateway alone`] = median(many.client) / median(one.client);
      console.log(
        `${source}: ${VIEWERS.at(-1)} viewers cost ${(total(many) / total(one)).toFixed(2)}× ${VIEWERS[0]} in total extra CPU, ` +
          `${(median(many.client) / median(one.client)).toFixed(2)}× in the gateway's`,
      );
    }
    writeResults(`upstream-${ids.length}c`, {
      machine: { ...host, loadavg1: { min: Math.min(...loads), max: Math.max(...loads) } },
      containers: ids.length,
      requested: CONTAINERS,
      network: NETWORK,
      rounds: ROUNDS,
      seconds: SECONDS,
      viewers: VIEWERS,
      rows: out,
      ratios,
    });
  } finally {
    containers.removeAll();
  }
}

await main();
