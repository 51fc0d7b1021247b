/**
 * Where the gateway's time goes under fan-out: the same set-up as fanout.ts (K sockets × C synthetic
 * containers, every socket subscribed to all), with V8's sampling profiler (the one `node --cpu-prof` uses,
 * started over the inspector so that only the measurement window is profiled) running in the gateway child.
 * Prints the top functions by self time and the split by file, and keeps the .cpuprofile (open it in Chrome
 * DevTools or speedscope).
 *
 *   pnpm --filter @dockpulse/server bench:fanout-profile [--sockets 5000] [--containers 20] [--seconds 15] [--top 25]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { syntheticIds } from './synthetic-sources.js';
import { checkFileLimit, flags, machine, measureWindow, sleep, startChild, startServer, writeResults } from './fanout-harness.js';

const f = flags({ sockets: '5000', containers: '20', seconds: '15', top: '25' });
const SOCKETS = Number(f.get('sockets'));
const CONTAINERS = Number(f.get('containers'));
const SECONDS = Number(f.get('seconds'));
const TOP = Number(f.get('top'));
const topics = syntheticIds(CONTAINERS).map((id) => `stats:${id}`);
const profileFile = resolve(import.meta.dirname ?? '.', `../../bench/results/fanout-profile-${SOCKETS}.cpuprofile`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

checkFileLimit(SOCKETS);
const gateway = await startServer('dockpulse', CONTAINERS);
const clients = await startChild('fanout-clients.ts', { server: false });
let window;
try {
  await clients.request('open', { port: gateway.port, count: SOCKETS, topics, perSocket: 'all' });
  await clients.request('subscribe');
  await sleep(4000);
  await gateway.request('profile-start');
  window = await measureWindow(gateway, clients, SECONDS);
  await gateway.request('profile-stop', { file: profileFile });
} finally {
  await clients.stop();
  await gateway.stop();
}

const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, ProfileNode>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const where = (url: string): string => {
  const short = url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^\/work\/main\//, '');
  return short || '(native/V8)';
};
const fnTotals = new Map<string, number>();
const fileTotals = new Map<string, number>();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  // The inspector call that stops the profiler and hands the profile over is the benchmark's, not the gateway's.
  if (!node || parentOf.get(id)?.callFrame.url === 'node:inspector') continue;
  const { functionName, url, lineNumber } = node.callFrame;
  total += us;
  if (functionName === '(idle)') {
    idle += us;
    continue;
  }
  // Code compiled by tsx reports line 0 for every function; its names are enough there.
  const key = `${functionName || '(anonymous)'}  ${where(url)}${url && lineNumber > 0 ? `:${lineNumber + 1}` : ''}`;
  fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
  fileTotals.set(where(url), (fileTotals.get(where(url)) ?? 0) + us);
}
const busy = total - idle;
const m = machine();
console.log(
  `\ngateway profile: K=${SOCKETS} sockets × C=${CONTAINERS}, ${SECONDS} s window; ${(busy / 1000).toFixed(0)} ms on-CPU JS/VM of ${(total / 1000).toFixed(0)} ms sampled`,
);
if (window) {
  console.log(
    `(${Math.round(window.healthy.samples / (window.elapsedMs / 1000))} deliveries/s, p99 ${window.healthy.p99} ms, gateway ${((window.serverCpuMs / window.elapsedMs) * 100).toFixed(1)} % CPU incl. kernel, profiler on)`,
  );
}
console.log(`machine: ${m['nproc']} × ${m['model']}, node ${m['node']}\n`);
const sorted = [...fnTotals].sort((a, b) => b[1] - a[1]);
console.log('self ms'.padStart(9) + '  % busy  function  (file:line)');
for (const [key, us] of sorted.slice(0, TOP))
  console.log(`${(us / 1000).toFixed(0).padStart(9)}  ${((us / busy) * 100).toFixed(1).padStart(6)}  ${key}`);
console.log('\nby file:');
const files = [...fileTotals].sort((a, b) => b[1] - a[1]);
for (const [file, us] of files.slice(0, 15))
  console.log(`${(us / 1000).toFixed(0).padStart(9)}  ${((us / busy) * 100).toFixed(1).padStart(6)}  ${file}`);
console.log(`\nprofile kept at ${profileFile}`);
writeResults(`fanout-profile-${SOCKETS}`, {
  machine: m,
  sockets: SOCKETS,
  containers: CONTAINERS,
  seconds: SECONDS,
  busyMs: busy / 1000,
  sampledMs: total / 1000,
  functions: sorted.slice(0, 60).map(([key, us]) => ({ function: key, selfMs: us / 1000, pctBusy: (us / busy) * 100 })),
  files: files.map(([file, us]) => ({ file, selfMs: us / 1000, pctBusy: (us / busy) * 100 })),
});
