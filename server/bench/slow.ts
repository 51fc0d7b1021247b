/**
 * Slow readers: K sockets on the real gateway (synthetic sources, C containers at 1 Hz, every socket
 * subscribed to all), of which every 10th stops reading (`socket.pause()` in the clients process: its kernel
 * buffers fill, then the gateway's outbox). In one run it reports the healthy sockets' latency with every
 * socket reading, then window by window after the stalled ones stop, while the gateway still holds them and
 * after it has closed them; and, every second, the gateway's RSS and open sockets.
 *
 *   pnpm --filter @dockpulse/server bench:slow [--sockets 1000] [--containers 20] [--stalled-every 10]
 *        [--healthy-seconds 20] [--stall-seconds 900] [--window 10] [--after-windows 3]
 *        [--heartbeat ms] [--stall-timeout ms] [--high-water bytes]
 *
 * Two things can close a reader that stopped. The heartbeat (30 s): a paused socket never answers a ping, so
 * it is terminated at the second beat, 30–60 s after it stopped, without a close code or a log line. The
 * outbox (4408, logged "closing slow consumer"): only once the socket's `bufferedAmount` is over the
 * high-water mark (1 MiB) for the stall timeout (15 s); but loopback absorbs ≈ 4 MB per paused socket first
 * (its receive buffer plus the sender's autotuned send buffer, measured on the reference machine), so at
 * C = 20 (≈ 7 KB/s per socket) that takes ≈ (4 MB + 1 MiB) / 7 KB/s + 15 s ≈ 13 min. To see that path, turn the
 * heartbeat off (`--heartbeat 3600000`) and keep the default 15-minute stalled phase; shortening
 * `--stall-timeout` saves only its 15 s of those minutes. Kernel memory grows by ≈ 5 MB per stalled socket
 * meanwhile (outside the gateway's RSS); the run caps the stalled phase so that it stays under 1 GiB.
 */
import { loadavg } from 'node:os';
import { median } from './proc-cpu.js';
import { syntheticIds } from './synthetic-sources.js';
import type { ServerStatus } from './fanout-ipc.js';
import {
  cell,
  checkFileLimit,
  flags,
  machine,
  measureWindow,
  mib,
  rssOf,
  sleep,
  startChild,
  startServer,
  writeResults,
} from './fanout-harness.js';

const f = flags({
  sockets: '1000',
  containers: '20',
  'stalled-every': '10',
  'healthy-seconds': '20',
  'stall-seconds': '900',
  window: '10',
  'after-windows': '3',
  heartbeat: '',
  'stall-timeout': '',
  'high-water': '',
});
const SOCKETS = Number(f.get('sockets'));
const CONTAINERS = Number(f.get('containers'));
const STALL_EVERY = Number(f.get('stalled-every'));
const WINDOW = Number(f.get('window'));
const HEALTHY_SECONDS = Number(f.get('healthy-seconds'));
const AFTER_WINDOWS = Number(f.get('after-windows'));
let STALL_SECONDS = Number(f.get('stall-seconds'));
const KERNEL_BYTES_PER_STALLED = 4e6 + 1024 * 1024;
const KERNEL_BUDGET = 1024 ** 3;
const topics = syntheticIds(CONTAINERS).map((id) => `stats:${id}`);
const stalledCount = Math.ceil(SOCKETS / STALL_EVERY);
const healthyCount = SOCKETS - stalledCount;

type Phase = 'all reading' | 'stalled, held' | 'stalled, closed';
const PHASES: Phase[] = ['all reading', 'stalled, held', 'stalled, closed'];

interface Row {
  phase: Phase;
  /** Seconds since the stalled sockets stopped reading, at the window's end (negative before). */
  t: number;
  deliveriesPerS: number;
  /** Of (healthy sockets × C) per second. */
  deliveredPct: number;
  p50: number;
  p99: number;
  max: number;
  gatewayCpuPct: number;
  gatewaySockets: number;
  rssMiB: number;
  heapMiB: number;
  load: number;
}

interface Tick {
  t: number;
  sockets: number;
  rssMiB: number;
  heapMiB: number;
}

checkFileLimit(SOCKETS);
const extraArgs: string[] = [];
for (const name of ['heartbeat', 'stall-timeout', 'high-water']) if (f.get(name)) extraArgs.push(`--${name}`, f.get(name)!);
const gateway = await startServer('dockpulse', CONTAINERS, { args: extraArgs, countLines: 'closing slow consumer' });
const clients = await startChild('fanout-clients.ts', { server: false });
const rows: Row[] = [];
const timeline: Tick[] = [];
let pausedAt = 0;
let firstGone: number | undefined;
let allGone: number | undefined;
let lastBytesPerSocketS = 0;
let sockets = SOCKETS;
const sinceStall = (at: number): number => (pausedAt ? (at - pausedAt) / 1000 : NaN);

// Every second: the gateway's open sockets and memory, and when the stalled ones went.
const poller = setInterval(() => {
  gateway
    .request('status')
    .then((reply) => {
      const s = reply['status'] as ServerStatus;
      const now = Date.now();
      sockets = s.sockets;
      timeline.push({
        t: pausedAt ? Math.round(sinceStall(now)) : -1,
        sockets: s.sockets,
        rssMiB: mib(rssOf(gateway.pid)),
        heapMiB: mib(s.heapUsed),
      });
      if (pausedAt && s.sockets < SOCKETS) firstGone ??= now;
      if (pausedAt && s.sockets <= healthyCount) allGone ??= now;
    })
    .catch(() => {});
}, 1000);

try {
  const open = await clients.request('open', { port: gateway.port, count: SOCKETS, topics, perSocket: 'all', stallEvery: STALL_EVERY });
  await clients.request('subscribe');
  console.error(`opened ${String(open['opened'])}/${SOCKETS} sockets (${stalledCount} to be stalled) in ${String(open['ms'])} ms`);
  await sleep(4000);

  const windowRow = async (): Promise<Row> => {
    const phase: Phase = !pausedAt ? 'all reading' : sockets > healthyCount ? 'stalled, held' : 'stalled, closed';
    const w = await measureWindow(gateway, clients, WINDOW);
    const status = (await gateway.request('status'))['status'] as ServerStatus;
    const s = w.elapsedMs / 1000;
    const perS = w.healthy.samples / s;
    lastBytesPerSocketS = w.healthy.bytes / healthyCount / s;
    const row: Row = {
      // A window during which the gateway let the stalled sockets go counts as holding them.
      phase: phase === 'stalled, closed' || status.sockets > healthyCount || !pausedAt ? phase : 'stalled, held',
      t: pausedAt ? Math.round(sinceStall(Date.now())) : 0,
      deliveriesPerS: perS,
      deliveredPct: (perS / (healthyCount * CONTAINERS)) * 100,
      p50: w.healthy.p50,
      p99: w.healthy.p99,
      max: w.healthy.max,
      gatewayCpuPct: (w.serverCpuMs / w.elapsedMs) * 100,
      gatewaySockets: status.sockets,
      rssMiB: mib(rssOf(gateway.pid)),
      heapMiB: mib(status.heapUsed),
      load: loadavg()[0]!,
    };
    rows.push(row);
    console.error(
      `${row.phase.padEnd(16)} t=${String(row.t).padStart(5)} s  healthy ${Math.round(perS)}/s p50 ${row.p50} p99 ${row.p99} ms  ` +
        `gateway ${row.gatewayCpuPct.toFixed(1)} % CPU, ${row.gatewaySockets} sockets, RSS ${row.rssMiB.toFixed(0)} MiB, heap ${row.heapMiB.toFixed(0)} MiB, ` +
        `4408s ${gateway.counted.lines}, load ${row.load.toFixed(1)}`,
    );
    return row;
  };

  // Both groups read here: the healthy group's figures are the "without" half of the comparison.
  for (let i = 0; i < Math.max(1, Math.round(HEALTHY_SECONDS / WINDOW)); i++) await windowRow();
  const budgetSeconds = KERNEL_BUDGET / (stalledCount * lastBytesPerSocketS);
  if (STALL_SECONDS > budgetSeconds) {
    console.error(
      `capping the stalled phase at ${Math.floor(budgetSeconds)} s: ${stalledCount} stalled sockets would hold more than 1 GiB of kernel buffers`,
    );
    STALL_SECONDS = Math.floor(budgetSeconds);
  }
  console.error(
    `≈ ${(lastBytesPerSocketS / 1000).toFixed(1)} KB per socket per second: without the heartbeat, the first 4408 would come after ` +
      `≈ ${Math.round(KERNEL_BYTES_PER_STALLED / lastBytesPerSocketS)} s + the stall timeout`,
  );

  await clients.request('stall');
  pausedAt = Date.now();
  let after = 0;
  while (Date.now() - pausedAt < STALL_SECONDS * 1000 && after < AFTER_WINDOWS) {
    if ((await windowRow()).phase === 'stalled, closed') after++;
  }
} finally {
  clearInterval(poller);
  await clients.stop();
  await gateway.stop();
}

const med = (rs: Row[], k: keyof Row): number => (rs.length ? median(rs.map((r) => Number(r[k]))) : NaN);
const m = machine();
console.log(
  `\nslow readers: K=${SOCKETS}, ${stalledCount} stop reading, C=${CONTAINERS} at 1 Hz; windows of ${WINDOW} s; the ${healthyCount} healthy sockets' figures`,
);
console.log(`gateway flags: ${extraArgs.join(' ') || 'defaults (heartbeat 30 s, high-water 1 MiB, stall timeout 15 s)'}`);
console.log(`machine: ${m['nproc']} × ${m['model']}, node ${m['node']}\n`);
console.log(
  'phase'.padEnd(18) +
    'windows'.padStart(8) +
    'deliv %'.padStart(9) +
    'p50 ms'.padStart(8) +
    'p99 ms'.padStart(8) +
    'max ms'.padStart(8) +
    'gw CPU%'.padStart(9) +
    'RSS MiB'.padStart(9) +
    'heap MiB'.padStart(10) +
    'load'.padStart(6),
);
const summary = PHASES.map((p) => {
  const rs = rows.filter((r) => r.phase === p);
  const s = {
    phase: p,
    windows: rs.length,
    deliveredPct: med(rs, 'deliveredPct'),
    p50: med(rs, 'p50'),
    p99: med(rs, 'p99'),
    max: rs.length ? Math.max(...rs.map((r) => r.max)) : NaN,
    gatewayCpuPct: med(rs, 'gatewayCpuPct'),
    rssMiB: rs.length ? Math.max(...rs.map((r) => r.rssMiB)) : NaN,
    heapMiB: rs.length ? Math.max(...rs.map((r) => r.heapMiB)) : NaN,
    load: med(rs, 'load'),
  };
  console.log(
    p.padEnd(18) +
      String(s.windows).padStart(8) +
      cell(s.deliveredPct, 1, 9) +
      cell(s.p50, 0, 8) +
      cell(s.p99, 0, 8) +
      cell(s.max, 0, 8) +
      cell(s.gatewayCpuPct, 1, 9) +
      cell(s.rssMiB, 0, 9) +
      cell(s.heapMiB, 0, 10) +
      cell(s.load, 1, 6),
  );
  return s;
});
const rss = timeline.map((x) => x.rssMiB).filter(Number.isFinite);
console.log(`\n(p50, p99, CPU and load are medians over the phase's windows; max, RSS and heap are the phase's highest)`);
console.log(`gateway RSS, sampled every second over the run: ${Math.min(...rss).toFixed(0)}–${Math.max(...rss).toFixed(0)} MiB`);
const slowCloses = gateway.counted.lines;
console.log(
  firstGone === undefined
    ? `the gateway still held all ${stalledCount} stalled sockets after ${STALL_SECONDS} s`
    : `the gateway dropped the first stalled socket ${sinceStall(firstGone).toFixed(0)} s after it stopped reading` +
        (allGone === undefined ? ', not all of them by the end' : `, the last after ${sinceStall(allGone).toFixed(0)} s`) +
        `; ${slowCloses} of them as slow consumers (4408), ${Math.max(0, SOCKETS - sockets - slowCloses)} by the heartbeat or otherwise`,
);
writeResults(`slow-${SOCKETS}${f.get('heartbeat') ? `-heartbeat-${f.get('heartbeat')}` : ''}`, {
  machine: m,
  sockets: SOCKETS,
  stalled: stalledCount,
  containers: CONTAINERS,
  windowSeconds: WINDOW,
  gatewayFlags: extraArgs,
  bytesPerSocketPerS: lastBytesPerSocketS,
  firstGoneSeconds: firstGone === undefined ? null : sinceStall(firstGone),
  allGoneSeconds: allGone === undefined ? null : sinceStall(allGone),
  slowConsumerCloses: slowCloses,
  summary,
  rows,
  timeline,
});
