/**
 * What a gateway costs per container sample when nobody is connected, against the reads alone: the gateway
 * (`node dist/main.js`, cgroup source, every container recorded) and the floor (`cgroup-floor.ts`: the six stats
 * files of each container read with one `pread` on descriptors held open, plus `/proc/<pid>/net/dev`, nothing
 * parsed), at 50, 200 and 1,000 idle containers, alternating in one run, medians over rounds.
 *
 *   pnpm bench:cgroup [--containers 50,200,1000] [--rounds 3] [--seconds 60] [--floor-seconds 30] [--warmup 75]
 *       [--floors afresh,held] [--gateways current=dist/main.js] [--network own|default|none]
 *
 * Both read every running container of the engine (other work's too, on a shared engine), at 1 Hz. CPU is every
 * thread's scheduler time (`/proc/<pid>/task/<tid>/schedstat`); a container sample costs CPU ÷ samples. The
 * gateway's samples are the hub's `dockpulse_samples_published_total`, scraped between ticks (the window
 * starts and ends half a tick after one), so that a window counts whole ticks; its windows are 60 s, so that
 * each holds one minute's history write. It is measured after `--warmup` seconds, once V8 has compiled its
 * hot paths: a fresh gateway at 50 containers was seen at 18.5 ms/s 10 to 30 s after its start, and at 7 to 8
 * from 70 s on, the difference spent compiling on V8's background threads; the floor is warmed as long. The
 * floor's net/dev is opened afresh each time (`afresh`: an open one holds the network namespace of a stopped
 * container) or held (`held`: the least the reads can cost). Each floor gives two rows: the whole reader process
 * (what any process that reads these files once a second costs, its waking up included), and its reads alone (its
 * CPU inside each tick's loop). The ratio column is against the whole held floor.
 *
 * `--gateways a=path,b=path` compares builds side by side (each path a built `main.js`, from `server/`).
 * Needs a running engine, the local/busybox:latest image, a built gateway (`pnpm build`), and root (the
 * cgroup tree and every container's /proc).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { benchDir, flags, machine, sleep, startChild, writeResults } from './fanout-harness.js';
import { cpuDelta, cpuOf, median } from './proc-cpu.js';
import { IdleContainers, docker, runningContainers } from './bench-containers.js';
import { hostMachine } from './host-machine.js';

const opts = flags({
  containers: '50,200,1000',
  rounds: '3',
  seconds: '60',
  'floor-seconds': '30',
  warmup: '75',
  floors: 'afresh,held',
  gateways: 'current=dist/main.js',
  network: 'own',
});
const sizes = opts.get('containers')!.split(',').map(Number);
const rounds = Number(opts.get('rounds'));
const gatewayMs = Number(opts.get('seconds')) * 1000;
const floorMs = Number(opts.get('floor-seconds')) * 1000;
const warmupMs = Number(opts.get('warmup')) * 1000;
const floors = opts.get('floors')!.split(',').filter(Boolean);
const gateways = opts
  .get('gateways')!
  .split(',')
  .map((g) => {
    const [name, path] = g.split('=') as [string, string | undefined];
    return { name, main: resolve(benchDir, '..', path ?? name) };
  });
const network = opts.get('network') as 'own' | 'default' | 'none';
const PORT = 18600 + (process.pid % 100);
const METRICS_TOKEN = randomBytes(16).toString('hex');

/** One window: CPU of the process in ms per second, container samples per second, the load average at its start. */
interface Window {
  cpu: number;
  rate: number;
  load: number;
}

const usPerSample = (w: Window): number => (w.cpu / w.rate) * 1000;

/** The floor's two windows: the whole reader process, and its reads alone (CPU inside its ticks). */
async function floorWindows(containers: { id: string; pid: number }[], net: string): Promise<{ whole: Window; reads: Window }> {
  const child = await startChild('cgroup-floor.ts', { server: false, args: ['--net', net] });
  try {
    await child.request('start', { containers });
    // Warmed as long as the gateway: a young process's background compiling is not the cost of reading.
    await sleep(warmupMs);
    const load = loadavg()[0]!;
    const c0 = cpuOf([child.pid]);
    const n0 = await child.request('count');
    const t0 = performance.now();
    await sleep(floorMs);
    const c1 = cpuOf([child.pid]);
    const n1 = await child.request('count');
    const seconds = (performance.now() - t0) / 1000;
    const rate = (Number(n1.samples) - Number(n0.samples)) / seconds;
    const reads = (Number(n1.readUs) - Number(n0.readUs)) / 1000 / seconds;
    return { whole: { cpu: cpuDelta(c0, c1) / seconds, rate, load }, reads: { cpu: reads, rate, load } };
  } finally {
    await child.stop();
  }
}

async function published(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${PORT}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const m = /^dockpulse_samples_published_total (\d+)$/m.exec(await r.text());
  if (!m) throw new Error('no dockpulse_samples_published_total in /metrics');
  return Number(m[1]);
}

async function gatewayWindow(main: string): Promise<Window> {
  const state = mkdtempSync(join(tmpdir(), 'dpcost-state-'));
  const gw: ChildProcess = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      DOCKPULSE_PORT: String(PORT),
      DOCKPULSE_LOG_LEVEL: 'warn',
      DOCKPULSE_SOURCE: 'cgroup',
      DOCKPULSE_STATE_DIR: state,
      DOCKPULSE_METRICS_TOKEN: METRICS_TOKEN,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    // A minute at most to start: on a loaded machine, loading its modules alone took over 10 s.
    for (let i = 0; ; i++) {
      try {
        await published();
        break;
      } catch (e) {
        if (i > 600 || gw.exitCode !== null) throw e;
        await sleep(100);
      }
    }
    await sleep(warmupMs);
    // Half a tick after one, so that the window holds whole ticks.
    let p0 = await published();
    for (let i = 0; i < 15; i++) {
      await sleep(100);
      const p = await published();
      if (p === p0) continue;
      p0 = p;
      break;
    }
    await sleep(400);
    const load = loadavg()[0]!;
    const c0 = cpuOf([gw.pid!]);
    const t0 = performance.now();
    await sleep(gatewayMs);
    const c1 = cpuOf([gw.pid!]);
    const seconds = (performance.now() - t0) / 1000;
    const p1 = await published();
    return { cpu: cpuDelta(c0, c1) / seconds, rate: (p1 - p0) / seconds, load };
  } finally {
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    rmSync(state, { recursive: true, force: true });
  }
}

const containers = new IdleContainers(`dpcost-${process.pid}-`, 'dockpulse.bench=cgroup-cost', network);
const results: Record<string, unknown>[] = [];
const loads: number[] = [];
const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
try {
  console.log(`machine: ${JSON.stringify({ ...machine(), ...hostMachine() })}`);
  for (const size of sizes) {
    console.error(`starting containers up to ${size}…`);
    await containers.grow(size);
    const running = runningContainers();
    console.error(`${containers.ids.length} of this run running, ${running.length} on the engine`);
    const phases = [
      ...floors.flatMap((f) => [`floor, net/dev ${f}`, `reads alone, net/dev ${f}`]),
      ...gateways.map((g) => `gateway ${g.name}`),
    ];
    const windows = new Map<string, Window[]>(phases.map((p) => [p, []]));
    for (let r = 0; r < rounds; r++) {
      console.error(`${size} containers, round ${r + 1}/${rounds}`);
      for (const f of floors) {
        const { whole, reads } = await floorWindows(running, f);
        windows.get(`floor, net/dev ${f}`)!.push(whole);
        windows.get(`reads alone, net/dev ${f}`)!.push(reads);
      }
      for (const g of gateways) windows.get(`gateway ${g.name}`)!.push(await gatewayWindow(g.main));
    }
    // Against the held floor where it ran: the least a process that reads these files once a second can cost.
    const against = floors.includes('held') ? 'held' : floors[0];
    const floorOf = (r: number): number => usPerSample(windows.get(`floor, net/dev ${against}`)![r]!);
    console.log(`\n${size} of this run's idle containers, ${running.length} running on the engine, ${rounds} rounds, medians`);
    console.log(
      'phase'.padEnd(26) +
        'CPU ms/s'.padStart(10) +
        'samples/s'.padStart(11) +
        'µs/sample'.padStart(11) +
        (floors.length ? `× floor (${against})`.padStart(20) : '') +
        'load'.padStart(12),
    );
    const rows: Record<string, unknown>[] = [];
    for (const [phase, ws] of windows) {
      loads.push(...ws.map((w) => w.load));
      const us = median(ws.map(usPerSample));
      // Each round's ratio is of two windows a minute apart; the median of those, not the ratio of medians.
      const ratio = floors.length ? median(ws.map((w, r) => usPerSample(w) / floorOf(r))) : NaN;
      console.log(
        phase.padEnd(26) +
          fmt(median(ws.map((w) => w.cpu))).padStart(10) +
          fmt(median(ws.map((w) => w.rate))).padStart(11) +
          fmt(us).padStart(11) +
          (floors.length ? fmt(ratio, 2).padStart(20) : '') +
          `${fmt(Math.min(...ws.map((w) => w.load)))}–${fmt(Math.max(...ws.map((w) => w.load)))}`.padStart(12),
      );
      rows.push({ phase, usPerSample: us, overFloor: ratio, rounds: ws.map((w) => ({ ...w, usPerSample: usPerSample(w) })) });
    }
    results.push({ containers: size, running: running.length, rows });
  }
  console.log(`\nload average (1 min) at the windows' starts: ${fmt(Math.min(...loads))} to ${fmt(Math.max(...loads))}`);
  writeResults('cgroup-cost', {
    machine: { ...machine(), ...hostMachine(), engine: docker('version', '--format', '{{.Server.Version}}') },
    options: Object.fromEntries(opts),
    sizes: results,
  });
} finally {
  console.error('removing the containers…');
  containers.removeAll();
}
