/**
 * What serving hosts through NATS costs, next to serving them in-process, in one run, alternating, with
 * medians over rounds:
 *
 *   local      One real agent against the gateway's own reading, on the same N idle containers of an engine
 *              the run starts for itself (a second dockerd, so that nothing else's containers are read),
 *              cgroup source both ways, one dashboard subscribed to every one of them:
 *              (a) a gateway reading the engine itself; (b) `dockpulse agent` + nats-server + a gateway that
 *              reads nothing itself (`DOCKPULSE_LOCAL_ENGINE=false`). CPU per sample received is
 *              (gateway + agent + nats-server) ÷ the dashboard's samples; the target is (b)/(a) ≤ 1.2×.
 *              Each container count is run in turn; with 0 among them, what the processes cost with nothing
 *              to read is taken out of the others, which gives what one more sample costs each way.
 *   synthetic  H synthetic hosts of C containers at 1 Hz (`synthetic-agents.ts`, one process that publishes
 *              what H agents would, with the real encoders) through one nats-server into one gateway with D
 *              dashboards, against the same H × C containers served in-process (`synthetic-gateway.ts`, the
 *              real gateway on `synthetic-sources.ts`) to the same D dashboards; then, on the bus, a second
 *              gateway that serves nobody: what it adds to nats-server, and whether the first one notices.
 *
 *   pnpm --filter @dockpulse/server bench:hosts [--parts local,synthetic] [--rounds 3]
 *        [--containers 0,50,200] [--local-seconds 30] [--local-warmup 75]
 *        [--hosts 10] [--per-host 100] [--dashboards 100] [--seconds 20] [--warmup 60] [--second-gateway yes]
 *        [--cpu-prof DIR]   (the gateways and the agent write V8 CPU profiles there when they stop)
 *        [--out hosts]      (results file name under bench/results)
 *
 * A dashboard is a raw WebSocket client (`fanout-clients.ts`, in a process of its own, never JSON-parsing)
 * that subscribes to the container list and to every container's stats, as the overview does; past the
 * default 256 topics a socket, the run raises `DOCKPULSE_MAX_SUBSCRIPTIONS`, as an operator of a large
 * fleet does. Latency is from a sample's `t` (the reading, or for synthetic agents the moment they publish)
 * to the whole frame's arrival at the client.
 *
 * CPU is each thread's scheduler time (`schedstat`), in ms per second of window. The Docker daemons'
 * CPU is recorded in the local part but not counted: with the cgroup source the engine is asked nothing per
 * sample (`bench:upstream` showed 0 requests and 0 bytes with a proxy in front of it), both phases read the
 * same files, and the daemons' idle noise (about ±1 ms/s at 50 containers) is larger than the difference
 * measured. The synthetic agents' CPU is printed but not counted either: they stand in for agents on other
 * machines.
 *
 * Needs a built gateway (`pnpm build`), nats-server on the PATH, and for the local part what a second dockerd
 * needs (root, dockerd, a bridge of its own; `test/helpers/second-engine.ts`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { HostInfo } from '@dockpulse/shared';
import { benchDir, cell, flags, machine, sleep, startChild, writeResults, type Child } from './fanout-harness.js';
import type { GroupReport } from './fanout-ipc.js';
import { cpuDelta, cpuOf, median, pidsByName } from './proc-cpu.js';
import { syntheticHosts } from './synthetic-sources.js';
import { TestNats, freePort } from '../test/helpers/nats.js';
import { startSecondEngine, type SecondEngine } from '../test/helpers/second-engine.js';

const f = flags({
  parts: 'local,synthetic',
  rounds: '3',
  containers: '0,50,200',
  'local-seconds': '30',
  // A Node process started afresh spends its first minute compiling on V8's background threads: a gateway at
  // 50 containers was seen at 18.5 ms/s 10 to 30 s after its start, 10.8 from 30 to 50 s, and 7 to 8 after
  // 70 s. The bus side runs two such processes, so a short warm-up overstated it by half.
  'local-warmup': '75',
  hosts: '10',
  'per-host': '100',
  dashboards: '100',
  seconds: '20',
  warmup: '60',
  'second-gateway': 'yes',
  'cpu-prof': '',
  out: 'hosts',
});
const PARTS = new Set(f.get('parts')!.split(','));
const ROUNDS = Number(f.get('rounds'));
/** Container counts the local part runs at, in order; 0 measures what each process costs with nothing to read. */
const CONTAINER_COUNTS = f
  .get('containers')!
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const LOCAL_SECONDS = Number(f.get('local-seconds'));
const LOCAL_WARMUP = Number(f.get('local-warmup'));
const HOSTS = Number(f.get('hosts'));
const PER_HOST = Number(f.get('per-host'));
const DASHBOARDS = Number(f.get('dashboards'));
const SECONDS = Number(f.get('seconds'));
const WARMUP = Number(f.get('warmup'));
const SECOND_GATEWAY = f.get('second-gateway') === 'yes';
const CPU_PROF = f.get('cpu-prof') ? resolve(f.get('cpu-prof')!) : undefined;
const MAIN = resolve(benchDir, '../dist/main.js');
const SECRET = randomBytes(32).toString('hex');
/** The synthetic hosts burst every interval ÷ H; a window starts and ends in a pause shorter than that. */
const SYNTHETIC_GAP_MS = Math.max(20, Math.floor(1000 / HOSTS / 2));

const text = (cmd: string, ...a: string[]): string => {
  try {
    return execFileSync(cmd, a, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

// ---- processes ----

/** What is running and not yet stopped, so that an interrupted run leaves nothing behind. */
const cleanups = new Set<() => Promise<void>>();

/** Registers `stop` until it has run; returns it. */
function owned(stop: () => Promise<void>): () => Promise<void> {
  const once = async (): Promise<void> => {
    cleanups.delete(once);
    await stop();
  };
  cleanups.add(once);
  return once;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping what the run started…`);
    void (async () => {
      for (const stop of [...cleanups].reverse()) await stop().catch(() => {});
      process.exit(130);
    })();
  });
}

/** A dockpulse process (`node dist/main.js`, a gateway or an agent), as an operator runs it. */
interface Proc {
  name: string;
  pid: number;
  stop(): Promise<void>;
}

function dockpulse(name: string, args: string[], env: Record<string, string>): Proc {
  const node = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const child: ChildProcess = spawn(process.execPath, [...node, MAIN, ...args], {
    env: { ...process.env, DOCKPULSE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    },
  };
}

/** A gateway on a free port with a state directory of its own; resolves once it answers `/healthz`. */
async function gateway(name: string, env: Record<string, string>): Promise<Proc & { port: number }> {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'dphosts-state-'));
  const p = dockpulse(name, [], { DOCKPULSE_PORT: String(port), DOCKPULSE_STATE_DIR: state, ...env });
  const stop = async (): Promise<void> => {
    await p.stop();
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 30_000, `${name} to answer`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { ...p, port, stop };
}

/** Settings of a gateway that serves what it hears on `nats` and reads no engine itself. */
function onBus(nats: TestNats, name: string, maxSubscriptions: number): Record<string, string> {
  return {
    DOCKPULSE_NATS_URL: nats.url,
    DOCKPULSE_LOCAL_ENGINE: 'false',
    DOCKPULSE_HOST_NAME: name,
    DOCKPULSE_SHARE_SECRET: SECRET,
    DOCKPULSE_MAX_SUBSCRIPTIONS: String(maxSubscriptions),
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Waits until the gateway serves each of `names` as up, with at least `containers` containers each. */
async function hostsUp(port: number, names: readonly string[], containers: number): Promise<void> {
  await until(
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/hosts`);
      const { hosts } = (await res.json()) as { hosts: HostInfo[] };
      return names.every((n) => hosts.some((h) => h.name === n && h.state === 'up' && h.containers >= containers));
    },
    60_000,
    `${names.length} hosts up on the gateway`,
  );
}

/** Samples the gateway's hub has published since it started (`/metrics`). */
async function published(port: number): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^dockpulse_samples_published_total (\d+)/m.exec(body)?.[1] ?? NaN);
}

/**
 * The raw WebSocket dashboards, opened and subscribed to `topics`; resolves once every subscription has been
 * answered (a `history` and a `state` frame for each stats topic), so that warming up starts from a gateway
 * that has served them all: 100 dashboards of 1,000 topics are 200,000 frames to send first.
 */
async function dashboards(port: number, count: number, topics: string[]): Promise<Child> {
  const clients = await startChild('fanout-clients.ts', { server: false });
  try {
    const open = await clients.request('open', { port, count, topics, perSocket: 'all' });
    if (Number(open['opened']) !== count) throw new Error(`only ${String(open['opened'])} of ${count} dashboards opened`);
    await clients.request('subscribe');
  } catch (e) {
    await clients.stop();
    throw e;
  }
  const answers = count * 2 * topics.filter((t) => t.startsWith('stats:')).length;
  try {
    await until(
      async () => Number((await clients.request('counts'))['otherFrames']) >= answers,
      180_000,
      'the subscriptions to be answered',
    );
  } catch {
    console.error('warning: not every subscription was answered after 180 s; measuring anyway');
  }
  return clients;
}

// ---- measuring ----

/** One window: each group's CPU in ms per second, what the dashboards received, and the load. */
interface Window {
  seconds: number;
  cpu: Record<string, number>;
  clients: GroupReport;
  loadStart: number;
  loadEnd: number;
}

/** Counts for `seconds` between two pauses in the dashboards' traffic, reading every group's CPU around it. */
async function measure(groups: Record<string, () => number[]>, clients: Child, seconds: number, gapMs: number): Promise<Window> {
  await clients.request('window', { gapMs });
  const pids = Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, g()]));
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuOf(p)]));
  const t0 = performance.now();
  const loadStart = loadavg()[0]!;
  await sleep(seconds * 1000);
  const rep = await clients.request('report', { gapMs });
  const elapsed = (performance.now() - t0) / 1000;
  const cpu: Record<string, number> = {};
  for (const [k, p] of Object.entries(pids)) cpu[k] = cpuDelta(before[k]!, cpuOf(p)) / elapsed;
  const report = rep['healthy'] as GroupReport;
  return { seconds: Number(rep['elapsedMs']) / 1000, cpu, clients: report, loadStart, loadEnd: loadavg()[0]! };
}

/** Samples per second that one dashboard received. */
const perDashboard = (w: Window): number => w.clients.samples / w.clients.sockets / w.seconds;

// ---- part 1: one real agent against the gateway's own reading ----

type LocalPhase = 'direct' | 'agent';

interface LocalRun {
  phase: LocalPhase;
  /** Idle containers on the engine. */
  containers: number;
  round: number;
  window: Window;
  /** Samples per second the gateway's hub published: every container of the engine. */
  gatewayRate: number;
  /** Containers running on the run's engine at the end of the window. */
  engineContainers: number;
}

/** containerd and its shims, which every engine of the machine shares. */
const containerd = (): number[] => pidsByName(/^(containerd|containerd-shim.*)$/);

async function localRun(phase: LocalPhase, round: number, engine: SecondEngine, ids: string[]): Promise<LocalRun> {
  const topics = ['containers', ...ids.map((id) => `stats:${id}`)];
  const maxSubscriptions = String(Math.max(256, topics.length));
  const stops: (() => Promise<void>)[] = [];
  // Both phases read the engine the run started, where only its own containers run.
  const reads = { DOCKER_HOST: engine.socketUrl, DOCKPULSE_SOURCE: 'cgroup' };
  try {
    let gw: Proc & { port: number };
    const groups: Record<string, () => number[]> = { daemons: () => [engine.pid, ...containerd()] };
    if (phase === 'direct') {
      gw = await gateway('gateway', { ...reads, DOCKPULSE_MAX_SUBSCRIPTIONS: maxSubscriptions });
      stops.push(owned(() => gw.stop()));
    } else {
      const nats = await TestNats.start();
      stops.push(owned(() => nats.stop()));
      gw = await gateway('gateway', onBus(nats, 'bench-gateway', topics.length));
      stops.push(owned(() => gw.stop()));
      const host = `bench-agent-${process.pid}`;
      const agent = dockpulse('agent', ['agent'], { ...reads, DOCKPULSE_NATS_URL: nats.url, DOCKPULSE_HOST_NAME: host });
      stops.push(owned(() => agent.stop()));
      await hostsUp(gw.port, [host], ids.length);
      groups['agent'] = () => [agent.pid];
      groups['nats'] = () => [nats.pid!];
    }
    const g = gw;
    groups['gateway'] = () => [g.pid];
    const clients = await dashboards(gw.port, 1, topics);
    stops.push(owned(() => clients.stop()));
    groups['clients'] = () => [clients.pid];
    await sleep(LOCAL_WARMUP * 1000);
    const p0 = await published(gw.port);
    const window = await measure(groups, clients, LOCAL_SECONDS, 150);
    const p1 = await published(gw.port);
    const engineContainers = (await engine.docker(['ps', '-q'])).split('\n').filter(Boolean).length;
    return { phase, containers: ids.length, round, window, gatewayRate: (p1 - p0) / window.seconds, engineContainers };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

/** Starts `n` more idle containers on `engine`, numbered on from `first`, a few at a time; returns their ids. */
async function startContainers(engine: SecondEngine, first: number, n: number): Promise<string[]> {
  const ids: string[] = [];
  let next = first;
  const worker = async (): Promise<void> => {
    while (next < first + n) {
      const i = next++;
      ids.push(await engine.containers.run(`idle-${i}`, ['sleep', '1d']));
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return ids;
}

async function localPart(): Promise<LocalRun[]> {
  // An engine of the run's own: another engine's containers, started and removed by whatever else runs on the
  // machine, would be read by one phase and not the other.
  const started = await startSecondEngine();
  if (!started.ok) throw new Error(`local: cannot start an engine for the run: ${started.error}`);
  const engine = started.value;
  const stopEngine = owned(() => engine.stop());
  const runs: LocalRun[] = [];
  const ids: string[] = [];
  try {
    for (const count of CONTAINER_COUNTS) {
      console.error(`local: ${count} idle containers on an engine of the run's own (${engine.socketUrl})…`);
      ids.push(...(await startContainers(engine, ids.length, count - ids.length)));
      for (let r = 0; r < ROUNDS; r++) {
        const order: LocalPhase[] = r % 2 === 0 ? ['direct', 'agent'] : ['agent', 'direct'];
        for (const phase of order) {
          const run = await localRun(phase, r, engine, [...ids]);
          runs.push(run);
          const w = run.window;
          console.error(
            `local ${count} containers, round ${r + 1}/${ROUNDS} ${phase}: gateway ${w.cpu['gateway']!.toFixed(1)}, agent ${(w.cpu['agent'] ?? 0).toFixed(1)}, ` +
              `nats ${(w.cpu['nats'] ?? 0).toFixed(1)} ms/s; ${perDashboard(w).toFixed(1)} samples/s; p99 ${w.clients.p99} ms; ` +
              `load ${w.loadStart.toFixed(1)}→${w.loadEnd.toFixed(1)}`,
          );
        }
      }
    }
  } finally {
    await stopEngine();
  }
  return runs;
}

// ---- parts 2 and 3: synthetic hosts over the bus, against in-process ----

type SyntheticPhase = 'in-process' | 'bus' | 'bus, 2nd gateway';

interface SyntheticRun {
  phase: SyntheticPhase;
  round: number;
  window: Window;
}

async function busRuns(round: number, topics: string[], names: string[]): Promise<SyntheticRun[]> {
  const stops: (() => Promise<void>)[] = [];
  const runs: SyntheticRun[] = [];
  try {
    const nats = await TestNats.start();
    stops.push(owned(() => nats.stop()));
    const g1 = await gateway('gateway-1', onBus(nats, 'bench-gateway-1', topics.length));
    stops.push(owned(() => g1.stop()));
    const agents = await startChild('synthetic-agents.ts', {
      server: true,
      args: ['--nats', nats.url, '--hosts', String(HOSTS), '--containers', String(PER_HOST)],
    });
    stops.push(owned(() => agents.stop()));
    await hostsUp(g1.port, names, PER_HOST);
    const clients = await dashboards(g1.port, DASHBOARDS, topics);
    stops.push(owned(() => clients.stop()));
    await sleep(WARMUP * 1000);
    const groups: Record<string, () => number[]> = {
      gateway: () => [g1.pid],
      nats: () => [nats.pid!],
      agents: () => [agents.pid],
      clients: () => [clients.pid],
    };
    runs.push({ phase: 'bus', round, window: await measure(groups, clients, SECONDS, SYNTHETIC_GAP_MS) });
    if (SECOND_GATEWAY) {
      const g2 = await gateway('gateway-2', onBus(nats, 'bench-gateway-2', topics.length));
      stops.push(owned(() => g2.stop()));
      await hostsUp(g2.port, names, PER_HOST);
      await sleep(WARMUP * 1000);
      const both = { ...groups, gateway2: () => [g2.pid] };
      runs.push({ phase: 'bus, 2nd gateway', round, window: await measure(both, clients, SECONDS, SYNTHETIC_GAP_MS) });
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
  return runs;
}

async function inProcessRun(round: number, topics: string[]): Promise<SyntheticRun> {
  const stops: (() => Promise<void>)[] = [];
  try {
    const gw = await startChild('synthetic-gateway.ts', {
      server: true,
      args: ['--containers', String(HOSTS * PER_HOST), '--hosts', String(HOSTS)],
    });
    stops.push(owned(() => gw.stop()));
    const clients = await dashboards(gw.port, DASHBOARDS, topics);
    stops.push(owned(() => clients.stop()));
    await sleep(WARMUP * 1000);
    const groups = { gateway: () => [gw.pid], clients: () => [clients.pid] };
    return { phase: 'in-process', round, window: await measure(groups, clients, SECONDS, SYNTHETIC_GAP_MS) };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

async function syntheticPart(): Promise<SyntheticRun[]> {
  const hosts = syntheticHosts(HOSTS, PER_HOST, 1000);
  const names = hosts.map((h) => h.host);
  const topics = ['containers', ...hosts.flatMap((h) => h.ids.map((id) => `stats:${h.host}/${id}`))];
  const runs: SyntheticRun[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const busFirst = r % 2 === 0;
    const got: SyntheticRun[] = [];
    if (busFirst) got.push(...(await busRuns(r, topics, names)));
    got.push(await inProcessRun(r, topics));
    if (!busFirst) got.push(...(await busRuns(r, topics, names)));
    for (const run of got) {
      const w = run.window;
      console.error(
        `synthetic round ${r + 1}/${ROUNDS} ${run.phase}: gateway ${w.cpu['gateway']!.toFixed(1)}` +
          (w.cpu['gateway2'] !== undefined ? `, 2nd gateway ${w.cpu['gateway2'].toFixed(1)}` : '') +
          (w.cpu['nats'] !== undefined ? `, nats ${w.cpu['nats'].toFixed(1)}` : '') +
          ` ms/s; ${perDashboard(w).toFixed(0)} samples/s a dashboard; p50/p99 ${w.clients.p50}/${w.clients.p99} ms; ` +
          `load ${w.loadStart.toFixed(1)}→${w.loadEnd.toFixed(1)}`,
      );
    }
    runs.push(...got);
  }
  return runs;
}

// ---- report ----

/** Median over rounds of `pick`, NaN when no round has it. */
function med<T>(runs: readonly T[], pick: (r: T) => number | undefined): number {
  const xs = runs.map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? median(xs) : NaN;
}

/** The median of the per-round ratios a/b, and their range: side by side in each round, so load drift cancels. */
function pairedRatio<T extends { round: number }>(
  a: readonly T[],
  b: readonly T[],
  value: (r: T) => number,
): { median: number; min: number; max: number } {
  const ratios: number[] = [];
  for (const x of a) {
    const y = b.find((r) => r.round === x.round);
    if (y) ratios.push(value(x) / value(y));
  }
  const finite = ratios.filter((r) => Number.isFinite(r));
  return finite.length
    ? { median: median(finite), min: Math.min(...finite), max: Math.max(...finite) }
    : { median: NaN, min: NaN, max: NaN };
}

const fmtRatio = (r: { median: number; min: number; max: number }): string =>
  `${r.median.toFixed(2)}× (rounds ${r.min.toFixed(2)} to ${r.max.toFixed(2)})`;

function reportLocal(all: LocalRun[]): Record<string, unknown> {
  const counted = (r: LocalRun): number => r.window.cpu['gateway']! + (r.window.cpu['agent'] ?? 0) + (r.window.cpu['nats'] ?? 0);
  const perSample = (r: LocalRun): number => counted(r) / perDashboard(r.window);
  const byCount: Record<string, unknown> = {};
  for (const count of CONTAINER_COUNTS) {
    const runs = all.filter((r) => r.containers === count);
    console.log(
      `\nlocal: ${count} idle containers, cgroup source, one dashboard subscribed to all; ${ROUNDS} rounds × ${LOCAL_SECONDS} s after ${LOCAL_WARMUP} s, medians`,
    );
    console.log('CPU in ms per second (10 = 1 % of one core); counted = gateway + agent + nats-server; daemons recorded, not counted\n');
    console.log(
      'phase'.padEnd(28) +
        'gateway'.padStart(9) +
        'agent'.padStart(8) +
        'nats'.padStart(8) +
        'counted'.padStart(9) +
        'daemons'.padStart(9) +
        'samples/s'.padStart(11) +
        'ms/sample'.padStart(11) +
        'hub/s'.padStart(8) +
        'p50 ms'.padStart(8) +
        'p99 ms'.padStart(8) +
        'load'.padStart(6),
    );
    const rows: Record<string, unknown>[] = [];
    const label: Record<LocalPhase, string> = { direct: '(a) gateway reads engine', agent: '(b) agent + NATS + gateway' };
    for (const phase of ['direct', 'agent'] as const) {
      const rs = runs.filter((r) => r.phase === phase);
      if (rs.length === 0) continue;
      const row = {
        phase,
        gatewayMsPerS: med(rs, (r) => r.window.cpu['gateway']),
        agentMsPerS: med(rs, (r) => r.window.cpu['agent']),
        natsMsPerS: med(rs, (r) => r.window.cpu['nats']),
        countedMsPerS: med(rs, counted),
        daemonsMsPerS: med(rs, (r) => r.window.cpu['daemons']),
        samplesPerS: med(rs, (r) => perDashboard(r.window)),
        msPerSample: count > 0 ? med(rs, perSample) : NaN,
        hubSamplesPerS: med(rs, (r) => r.gatewayRate),
        engineContainers: Math.max(...rs.map((r) => r.engineContainers)),
        p50: med(rs, (r) => r.window.clients.p50),
        p99: med(rs, (r) => r.window.clients.p99),
        load: med(rs, (r) => r.window.loadStart),
      };
      rows.push(row);
      console.log(
        label[phase].padEnd(28) +
          cell(row.gatewayMsPerS, 1, 9) +
          cell(row.agentMsPerS, 1, 8) +
          cell(row.natsMsPerS, 1, 8) +
          cell(row.countedMsPerS, 1, 9) +
          cell(row.daemonsMsPerS, 1, 9) +
          cell(row.samplesPerS, 1, 11) +
          cell(row.msPerSample, 3, 11) +
          cell(row.hubSamplesPerS, 1, 8) +
          cell(row.p50, 0, 8) +
          cell(row.p99, 0, 8) +
          cell(row.load, 1, 6),
      );
    }
    const a = runs.filter((r) => r.phase === 'agent');
    const d = runs.filter((r) => r.phase === 'direct');
    // With nothing to read, what each set of processes costs just running: the ratio of the totals.
    const ratio = pairedRatio(a, d, count > 0 ? perSample : counted);
    const agentSide = pairedRatio(a, d, (r) => (r.window.cpu['agent'] ?? r.window.cpu['gateway']!) + (r.window.cpu['nats'] ?? 0));
    const gatewayOnly = pairedRatio(a, d, (r) => r.window.cpu['gateway']!);
    console.log(`\n(b)/(a), everything counted: ${fmtRatio(ratio)}${count > 0 ? '; target ≤ 1.2×' : ' (CPU with nothing to read)'}`);
    console.log(`(b)'s agent + nats-server against (a)'s gateway: ${fmtRatio(agentSide)}`);
    console.log(`(b)'s gateway alone against (a)'s gateway: ${fmtRatio(gatewayOnly)}`);
    console.log(
      `(hub/s: samples the gateway published; the run's engine held ${Math.max(...runs.map((r) => r.engineContainers))} containers, the run's own)`,
    );
    byCount[String(count)] = { rows, ratio, agentSide, gatewayOnly };
  }
  // What reading one more container costs each way, the fixed cost of the processes taken out.
  const marginal: Record<string, unknown> = {};
  if (CONTAINER_COUNTS[0] === 0) {
    const idle = all.filter((r) => r.containers === 0);
    for (const count of CONTAINER_COUNTS.filter((c) => c > 0)) {
      const runs = all.filter((r) => r.containers === count);
      const extra = (phase: LocalPhase): number[] =>
        runs
          .filter((r) => r.phase === phase)
          .map((r) => {
            const base = idle.find((i) => i.phase === phase && i.round === r.round);
            return base ? ((counted(r) - counted(base)) / perDashboard(r.window)) * 1000 : NaN;
          });
      const direct = med(extra('direct'), (x) => x);
      const agent = med(extra('agent'), (x) => x);
      marginal[String(count)] = { directUsPerSample: direct, agentUsPerSample: agent, ratio: agent / direct };
      console.log(
        `\n${count} containers, less the same processes with none: (a) ${direct.toFixed(0)} µs, (b) ${agent.toFixed(0)} µs per sample; ` +
          `(b)/(a) ${(agent / direct).toFixed(2)}×`,
      );
    }
  }
  return { byCount, marginal, runs: all };
}

function reportSynthetic(runs: SyntheticRun[]): Record<string, unknown> {
  const total = HOSTS * PER_HOST;
  const usPerSample = (r: SyntheticRun, k: string): number => ((r.window.cpu[k] ?? NaN) / perDashboard(r.window)) * 1000;
  console.log(
    `\nsynthetic: ${HOSTS} hosts × ${PER_HOST} containers at 1 Hz, ${DASHBOARDS} dashboards each subscribed to the list and all ${total}; ` +
      `${ROUNDS} rounds × ${SECONDS} s after ${WARMUP} s, medians`,
  );
  console.log('CPU in ms per second; per sample in µs, over the samples one dashboard received (each container sample once)\n');
  console.log(
    'phase'.padEnd(20) +
      'gateway'.padStart(9) +
      '2nd gw'.padStart(8) +
      'nats'.padStart(8) +
      'agents¹'.padStart(9) +
      'clients'.padStart(9) +
      'samples/s'.padStart(11) +
      'deliv/s'.padStart(9) +
      'gw µs/s.'.padStart(10) +
      'nats µs/s.'.padStart(12) +
      'p50 ms'.padStart(8) +
      'p99 ms'.padStart(8) +
      'list KB/s²'.padStart(12) +
      'load'.padStart(6),
  );
  const rows: Record<string, unknown>[] = [];
  for (const phase of ['in-process', 'bus', 'bus, 2nd gateway'] as const) {
    const rs = runs.filter((r) => r.phase === phase);
    if (rs.length === 0) continue;
    const row = {
      phase,
      gatewayMsPerS: med(rs, (r) => r.window.cpu['gateway']),
      gateway2MsPerS: med(rs, (r) => r.window.cpu['gateway2']),
      natsMsPerS: med(rs, (r) => r.window.cpu['nats']),
      agentsMsPerS: med(rs, (r) => r.window.cpu['agents']),
      clientsMsPerS: med(rs, (r) => r.window.cpu['clients']),
      samplesPerS: med(rs, (r) => perDashboard(r.window)),
      deliveriesPerS: med(rs, (r) => r.window.clients.samples / r.window.seconds),
      gatewayUsPerSample: med(rs, (r) => usPerSample(r, 'gateway')),
      natsUsPerSample: med(rs, (r) => usPerSample(r, 'nats')),
      p50: med(rs, (r) => r.window.clients.p50),
      p99: med(rs, (r) => r.window.clients.p99),
      listKBPerS: med(rs, (r) => r.window.clients.otherBytes / r.window.clients.sockets / r.window.seconds / 1000),
      load: med(rs, (r) => r.window.loadStart),
    };
    rows.push(row);
    console.log(
      phase.padEnd(20) +
        cell(row.gatewayMsPerS, 1, 9) +
        cell(row.gateway2MsPerS, 1, 8) +
        cell(row.natsMsPerS, 1, 8) +
        cell(row.agentsMsPerS, 1, 9) +
        cell(row.clientsMsPerS, 1, 9) +
        cell(row.samplesPerS, 0, 11) +
        cell(row.deliveriesPerS, 0, 9) +
        cell(row.gatewayUsPerSample, 1, 10) +
        cell(row.natsUsPerSample, 1, 12) +
        cell(row.p50, 0, 8) +
        cell(row.p99, 0, 8) +
        cell(row.listKBPerS, 1, 12) +
        cell(row.load, 1, 6),
    );
  }
  console.log('¹ the synthetic agents stand in for agents on other machines: not counted');
  console.log('² container-list (and other non-stats) frames a dashboard received, KB per second');
  const inProcess = runs.filter((r) => r.phase === 'in-process');
  const bus = runs.filter((r) => r.phase === 'bus');
  const two = runs.filter((r) => r.phase === 'bus, 2nd gateway');
  const ratios: Record<string, unknown> = {};
  if (bus.length && inProcess.length) {
    ratios['gateway, bus over in-process'] = pairedRatio(bus, inProcess, (r) => r.window.cpu['gateway']!);
    ratios['gateway + nats-server, bus over in-process'] = pairedRatio(
      bus,
      inProcess,
      (r) => r.window.cpu['gateway']! + (r.window.cpu['nats'] ?? 0),
    );
    const extra = bus.map((b) => {
      const i = inProcess.find((x) => x.round === b.round);
      return i ? usPerSample(b, 'gateway') - usPerSample(i, 'gateway') : NaN;
    });
    ratios['gateway µs per sample, bus minus in-process'] = med(extra, (x) => x);
    console.log(`\ngateway CPU, bus over in-process: ${fmtRatio(ratios['gateway, bus over in-process'] as never)}`);
    console.log(
      `gateway + nats-server, bus over the in-process gateway: ${fmtRatio(ratios['gateway + nats-server, bus over in-process'] as never)}`,
    );
    console.log(
      `what the bus adds to the gateway, per sample heard: ${(ratios['gateway µs per sample, bus minus in-process'] as number).toFixed(1)} µs`,
    );
  }
  if (two.length && bus.length) {
    ratios['nats-server, two gateways over one'] = pairedRatio(two, bus, (r) => r.window.cpu['nats']!);
    ratios['first gateway, with a second over alone'] = pairedRatio(two, bus, (r) => r.window.cpu['gateway']!);
    const added = two.map((t) => {
      const b = bus.find((x) => x.round === t.round);
      return b ? t.window.cpu['nats']! - b.window.cpu['nats']! : NaN;
    });
    ratios['nats-server ms/s added by the second gateway'] = med(added, (x) => x);
    console.log(
      `a second gateway: nats-server ${fmtRatio(ratios['nats-server, two gateways over one'] as never)}, ` +
        `+${(ratios['nats-server ms/s added by the second gateway'] as number).toFixed(1)} ms/s; ` +
        `the first gateway ${fmtRatio(ratios['first gateway, with a second over alone'] as never)}`,
    );
  }
  return { rows, ratios, runs };
}

// ---- main ----

const base = machine();
const m = {
  nproc: Number(base['nproc']),
  model: String(base['model']),
  node: String(base['node']),
  kernel: release(),
  cgroup: `${text('stat', '-fc', '%T', '/sys/fs/cgroup')} (${text('docker', 'info', '--format', '{{.CgroupVersion}} {{.CgroupDriver}}')} by docker info)`,
  engine: text('docker', 'version', '--format', '{{.Server.Version}}'),
  natsServer: text('nats-server', '--version'),
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
};
console.error(`machine: ${m.nproc} × ${m.model}, kernel ${m.kernel}, cgroup ${m.cgroup}, node ${m.node}, ${m.natsServer}`);
console.error(`load before the run: ${m.loadavg.join(' ')} (nproc ${m.nproc}; above it, others compete for the cores)`);
const results: Record<string, unknown> = {
  machine: m,
  flags: Object.fromEntries(f),
};
const local = PARTS.has('local') ? await localPart() : [];
const synthetic = PARTS.has('synthetic') ? await syntheticPart() : [];
console.log(`\nmachine: ${m.nproc} × ${m.model}, kernel ${m.kernel}, cgroup ${m.cgroup}, node ${m.node}, ${m.natsServer}`);
console.log(
  `load average before the run: ${m.loadavg.join(' ')}; after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
if (local.length) results['local'] = reportLocal(local);
if (synthetic.length) results['synthetic'] = reportSynthetic(synthetic);
results['loadAfter'] = loadavg().map((x) => Number(x.toFixed(2)));
writeResults(f.get('out')!, results);
