/**
 * Fan-out cost: K sockets, each subscribed to all C synthetic containers (one sample per container per
 * second, published in one burst), served by
 *   - dockpulse: the real gateway (`serve()`, current src) fed by the synthetic sources, in its own process;
 *   - baseline: a minimal `ws` server that stringifies each sample once and calls `ws.send` per socket.
 * The clients run in a third process (fanout-clients.ts). Servers alternate within each round; figures are
 * medians over rounds. CPU is each process's own, from /proc.
 *
 *   pnpm --filter @dockpulse/server bench:fanout [--sockets 1000,5000] [--containers 20] [--rounds 3]
 *                                                [--seconds 10] [--warmup 4] [--servers dockpulse,baseline]
 *                                                [--out fanout]   (results file name under bench/results)
 *
 * `--servers` may also name `shared-ws` and `shared-socket`: reference servers for the proposed shared-frame
 * change (fanout-shared-frame.ts), to put a number on it before it is made.
 *
 * Targets (at 5k sockets): ≥ 500k deliveries per gateway CPU-second, ≥ 6× the baseline's, p99 ≤ 50 ms.
 */
import { loadavg } from 'node:os';
import { median } from './proc-cpu.js';
import { syntheticIds } from './synthetic-sources.js';
import {
  cell,
  checkFileLimit,
  flags,
  machine,
  mib,
  rssOf,
  sleep,
  startChild,
  startServer,
  writeResults,
  measureWindow,
  type ServerKind,
} from './fanout-harness.js';

const f = flags({
  sockets: '1000,5000',
  containers: '20',
  rounds: '3',
  seconds: '10',
  warmup: '4',
  servers: 'dockpulse,baseline',
  out: 'fanout',
});
const SOCKETS = f.get('sockets')!.split(',').map(Number);
const CONTAINERS = Number(f.get('containers'));
const ROUNDS = Number(f.get('rounds'));
const SECONDS = Number(f.get('seconds'));
const WARMUP = Number(f.get('warmup'));
const SERVERS = f.get('servers')!.split(',') as ServerKind[];
const topics = syntheticIds(CONTAINERS).map((id) => `stats:${id}`);

interface Run {
  server: ServerKind;
  sockets: number;
  round: number;
  opened: number;
  openMs: number;
  deliveriesPerS: number;
  /** Of K × C per second. */
  deliveredPct: number;
  serverCpuPct: number;
  /** Of the server's CPU, the share spent in the kernel. */
  serverSysPct: number;
  deliveriesPerCpuS: number;
  p50: number;
  p99: number;
  max: number;
  clientCpuPct: number;
  serverRssMiB: number;
  closed: number;
  /** The machine's 1-minute load average at the end of the window (2 cores: above 2 means others compete). */
  load: number;
}

async function runOnce(kind: ServerKind, sockets: number, round: number): Promise<Run> {
  const server = await startServer(kind, CONTAINERS);
  const clients = await startChild('fanout-clients.ts', { server: false });
  try {
    const open = await clients.request('open', { port: server.port, count: sockets, topics, perSocket: 'all' });
    await clients.request('subscribe');
    await sleep(WARMUP * 1000);
    const w = await measureWindow(server, clients, SECONDS);
    const s = w.elapsedMs / 1000;
    const perS = w.healthy.samples / s;
    return {
      server: kind,
      sockets,
      round,
      opened: Number(open['opened']),
      openMs: Number(open['ms']),
      deliveriesPerS: perS,
      deliveredPct: (perS / (sockets * CONTAINERS)) * 100,
      serverCpuPct: (w.serverCpuMs / w.elapsedMs) * 100,
      serverSysPct: (w.serverSysMs / w.serverCpuMs) * 100,
      deliveriesPerCpuS: w.healthy.samples / (w.serverCpuMs / 1000),
      p50: w.healthy.p50,
      p99: w.healthy.p99,
      max: w.healthy.max,
      clientCpuPct: (w.clientCpuMs / w.elapsedMs) * 100,
      serverRssMiB: mib(rssOf(server.pid)),
      closed: w.healthy.closed,
      load: loadavg()[0]!,
    };
  } finally {
    await clients.stop();
    await server.stop();
  }
}

const runs: Run[] = [];
checkFileLimit(Math.max(...SOCKETS));
for (const sockets of SOCKETS) {
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which server goes first, so drift on a shared machine does not favour one.
    const order = r % 2 === 0 ? SERVERS : [...SERVERS].reverse();
    for (const kind of order) {
      const run = await runOnce(kind, sockets, r);
      runs.push(run);
      console.error(
        `K=${sockets} round ${r + 1}/${ROUNDS} ${kind}: ${Math.round(run.deliveriesPerS)} deliveries/s, server ${run.serverCpuPct.toFixed(0)} % CPU, ` +
          `p99 ${run.p99} ms, clients ${run.clientCpuPct.toFixed(0)} % CPU, load ${run.load.toFixed(1)}` +
          (run.opened < sockets ? `, only ${run.opened}/${sockets} sockets opened` : '') +
          (run.closed > 0 ? `, ${run.closed} sockets closed` : ''),
      );
    }
  }
}

const m = machine();
console.log(
  `\nfan-out: C=${CONTAINERS} synthetic containers at 1 Hz, every socket subscribed to all; ${ROUNDS} rounds × ${SECONDS} s, medians`,
);
console.log(`machine: ${m['nproc']} × ${m['model']}, node ${m['node']}, load ${m['loadavg1']}\n`);
console.log(
  'K'.padStart(6) +
    'server'.padStart(15) +
    'deliv/s'.padStart(10) +
    'deliv %'.padStart(9) +
    'srv CPU%'.padStart(10) +
    'of it sys'.padStart(10) +
    'deliv/CPU-s'.padStart(13) +
    'p50 ms'.padStart(8) +
    'p99 ms'.padStart(8) +
    'cli CPU%'.padStart(10) +
    'RSS MiB'.padStart(9),
);
const summary: Record<string, unknown>[] = [];
for (const sockets of SOCKETS) {
  const med: Partial<Record<ServerKind, number>> = {};
  for (const kind of SERVERS) {
    const rs = runs.filter((x) => x.sockets === sockets && x.server === kind);
    const pick = (k: keyof Run): number => median(rs.map((x) => Number(x[k])));
    const row = {
      sockets,
      server: kind,
      deliveriesPerS: pick('deliveriesPerS'),
      deliveredPct: pick('deliveredPct'),
      serverCpuPct: pick('serverCpuPct'),
      serverSysPct: pick('serverSysPct'),
      deliveriesPerCpuS: pick('deliveriesPerCpuS'),
      p50: pick('p50'),
      p99: pick('p99'),
      clientCpuPct: pick('clientCpuPct'),
      serverRssMiB: pick('serverRssMiB'),
    };
    med[kind] = row.deliveriesPerCpuS;
    summary.push(row);
    console.log(
      String(sockets).padStart(6) +
        kind.padStart(15) +
        cell(row.deliveriesPerS) +
        cell(row.deliveredPct, 1, 9) +
        cell(row.serverCpuPct, 1) +
        cell(row.serverSysPct, 0) +
        cell(row.deliveriesPerCpuS, 0, 13) +
        cell(row.p50, 0, 8) +
        cell(row.p99, 0, 8) +
        cell(row.clientCpuPct, 1) +
        cell(row.serverRssMiB, 0, 9),
    );
  }
  if (med.baseline !== undefined) {
    for (const kind of SERVERS) {
      if (kind === 'baseline' || med[kind] === undefined) continue;
      console.log(`${''.padStart(6)}  ${kind} / baseline deliveries per CPU-second: ${(med[kind] / med.baseline).toFixed(2)}×`);
    }
  }
}
console.log('\ntargets at 5k sockets: ≥ 500k deliveries per gateway CPU-second, ≥ 6× baseline, p99 ≤ 50 ms');
console.log('clients CPU % is of one core; near 100 means the clients, not the server, set the pace.');
writeResults(f.get('out')!, { machine: m, containers: CONTAINERS, rounds: ROUNDS, seconds: SECONDS, warmup: WARMUP, summary, runs });
