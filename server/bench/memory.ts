/**
 * Memory per idle subscribed socket: the real gateway (synthetic sources, C containers at 1 Hz) in its own
 * process with `--expose-gc`. One probe socket subscribes to every topic first, so the topics, their
 * upstreams and history rings exist before the "before" reading and are not charged to the sockets. Then K
 * sockets open, each subscribed to one topic (history 0), and after a few ticks and a full GC the gateway's
 * RSS and V8 heap are read again: (after − before) / K. Fresh gateway every round; medians.
 *
 *   pnpm --filter @dockpulse/server bench:memory [--sockets 10000] [--containers 20] [--rounds 3] [--settle 5]
 *
 * Target: ≤ 20 KiB per socket. Kernel socket buffers are not in RSS and are not counted.
 */
import { median } from './proc-cpu.js';
import { syntheticIds } from './synthetic-sources.js';
import type { ServerStatus } from './fanout-ipc.js';
import { cell, checkFileLimit, flags, machine, rssOf, sleep, startChild, startServer, writeResults } from './fanout-harness.js';

const f = flags({ sockets: '10000', containers: '20', rounds: '3', settle: '5' });
const SOCKETS = Number(f.get('sockets'));
const CONTAINERS = Number(f.get('containers'));
const ROUNDS = Number(f.get('rounds'));
const SETTLE = Number(f.get('settle'));
const topics = syntheticIds(CONTAINERS).map((id) => `stats:${id}`);

interface Reading {
  rss: number;
  procRss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

async function reading(gateway: Awaited<ReturnType<typeof startServer>>): Promise<Reading> {
  const reply = await gateway.request('gc');
  if (!reply['collected']) throw new Error('the gateway child was started without --expose-gc');
  const s = reply['status'] as ServerStatus;
  return { rss: s.rss, procRss: rssOf(gateway.pid), heapUsed: s.heapUsed, external: s.external, arrayBuffers: s.arrayBuffers };
}

interface Round {
  opened: number;
  sockets: number;
  before: Reading;
  after: Reading;
  rssPerSocket: number;
  heapPerSocket: number;
  externalPerSocket: number;
}

checkFileLimit(SOCKETS);
const rounds: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const gateway = await startServer('dockpulse', CONTAINERS, { nodeFlags: ['--expose-gc'] });
  const probe = await startChild('fanout-clients.ts', { server: false });
  const clients = await startChild('fanout-clients.ts', { server: false });
  try {
    await probe.request('open', { port: gateway.port, count: 1, topics, perSocket: 'all' });
    await probe.request('subscribe');
    await sleep(SETTLE * 1000);
    const before = await reading(gateway);
    const open = await clients.request('open', { port: gateway.port, count: SOCKETS, topics, perSocket: 'one' });
    await clients.request('subscribe');
    await sleep(SETTLE * 1000);
    const after = await reading(gateway);
    const status = (await gateway.request('status'))['status'] as ServerStatus;
    const n = Number(open['opened']);
    const round: Round = {
      opened: n,
      sockets: status.sockets,
      before,
      after,
      rssPerSocket: (after.rss - before.rss) / n,
      heapPerSocket: (after.heapUsed - before.heapUsed) / n,
      externalPerSocket: (after.external - before.external) / n,
    };
    rounds.push(round);
    console.error(
      `round ${r + 1}/${ROUNDS}: ${n} sockets (gateway holds ${status.sockets}); RSS ${(round.rssPerSocket / 1024).toFixed(1)} KiB/socket, ` +
        `heap ${(round.heapPerSocket / 1024).toFixed(1)} KiB/socket, external ${(round.externalPerSocket / 1024).toFixed(2)} KiB/socket`,
    );
  } finally {
    await clients.stop();
    await probe.stop();
    await gateway.stop();
  }
}

const m = machine();
const kib = (k: keyof Round): number => median(rounds.map((x) => Number(x[k]))) / 1024;
const mibOf = (pick: (x: Round) => number): number => median(rounds.map(pick)) / 1024 / 1024;
console.log(
  `\nmemory per idle subscribed socket: ${SOCKETS} sockets × 1 topic (history 0), C=${CONTAINERS} at 1 Hz; ${ROUNDS} rounds, medians, after full GC`,
);
console.log(`machine: ${m['nproc']} × ${m['model']}, node ${m['node']}\n`);
console.log('measure'.padEnd(22) + 'before MiB'.padStart(12) + 'after MiB'.padStart(12) + 'KiB/socket'.padStart(12));
const rows = [
  { measure: 'RSS', before: mibOf((x) => x.before.rss), after: mibOf((x) => x.after.rss), perSocketKiB: kib('rssPerSocket') },
  {
    measure: 'V8 heapUsed',
    before: mibOf((x) => x.before.heapUsed),
    after: mibOf((x) => x.after.heapUsed),
    perSocketKiB: kib('heapPerSocket'),
  },
  {
    measure: 'external (Buffers)',
    before: mibOf((x) => x.before.external),
    after: mibOf((x) => x.after.external),
    perSocketKiB: kib('externalPerSocket'),
  },
];
for (const row of rows)
  console.log(row.measure.padEnd(22) + cell(row.before, 1, 12) + cell(row.after, 1, 12) + cell(row.perSocketKiB, 2, 12));
console.log('\ntarget: ≤ 20 KiB per socket (RSS). Kernel socket buffers are outside RSS.');
writeResults('memory', {
  machine: m,
  sockets: SOCKETS,
  containers: CONTAINERS,
  rounds: ROUNDS,
  settleSeconds: SETTLE,
  summary: rows,
  raw: rounds,
});
