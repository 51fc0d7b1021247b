/**
 * What watching containers costs the machine: total CPU of the gateway, the Docker daemon, containerd and
 * the shims while N idle containers are watched at 1 Hz, with the cgroup source and with the Docker API
 * source, next to `docker stats` streaming the same containers and next to nobody watching, in one run,
 * alternating, with medians over rounds.
 *
 *   pnpm --filter @dockpulse/server bench:upstream [--containers 50] [--rounds 3] [--seconds 20] [--viewers 1]
 *
 * Needs a running engine, the local/busybox:latest image and a built gateway (`pnpm build`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { cpuDelta, cpuOf, median, pidsByName } from './proc-cpu.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const CONTAINERS = Number(args.get('containers') ?? 50);
const ROUNDS = Number(args.get('rounds') ?? 3);
const SECONDS = Number(args.get('seconds') ?? 20);
const VIEWERS = Number(args.get('viewers') ?? 1);
const WARMUP_MS = 5000;
const PREFIX = `dpbench-${process.pid}-`;
const PORT = 18700 + (process.pid % 200);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const docker = (...a: string[]) => execFileSync('docker', a, { encoding: 'utf8' }).trim();

function daemonPids(): number[] {
  return pidsByName(/^(dockerd|containerd|containerd-shim.*)$/);
}

async function measure(extraPids: () => number[], onStart: () => void = () => {}): Promise<{ daemon: number; client: number }> {
  await sleep(WARMUP_MS);
  onStart();
  const dp = daemonPids();
  const cp = extraPids();
  const d0 = cpuOf(dp);
  const c0 = cpuOf(cp);
  await sleep(SECONDS * 1000);
  return { daemon: cpuDelta(d0, cpuOf(dp)) / SECONDS, client: cpuDelta(c0, cpuOf(cp)) / SECONDS };
}

async function withGateway(ids: string[], source: 'cgroup' | 'docker'): Promise<{ daemon: number; client: number; samples: number }> {
  const state = mkdtempSync(join(tmpdir(), 'dpbench-state-'));
  const gw: ChildProcess = spawn(process.execPath, [resolve(here, '../dist/main.js')], {
    env: { ...process.env, DOCKPULSE_PORT: String(PORT), DOCKPULSE_LOG_LEVEL: 'warn', DOCKPULSE_SOURCE: source, DOCKPULSE_STATE_DIR: state },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
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
    const sockets: WebSocket[] = [];
    for (let v = 0; v < VIEWERS; v++) {
      const ws = new WebSocket(`ws://127.0.0.1:${PORT}/ws`, ['dockpulse.v1']);
      ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', topics: ids.map((id) => `stats:${id}`), history: 0 })));
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as { type: string; samples?: unknown[] };
        if (m.type === 'stats' && v === 0) samples += m.samples?.length ?? 0;
      });
      sockets.push(ws);
    }
    let start = 0;
    const cpu = await measure(
      () => [gw.pid!],
      () => (start = samples),
    );
    const got = samples - start;
    for (const ws of sockets) ws.close();
    return { ...cpu, samples: got };
  } finally {
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    rmSync(state, { recursive: true, force: true });
  }
}

async function withDockerStats(ids: string[]): Promise<{ daemon: number; client: number }> {
  const cli = spawn('docker', ['stats', '--format', '{{json .}}', ...ids], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    return await measure(() => [cli.pid!]);
  } finally {
    // The docker CLI's stats loop ignores SIGTERM.
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
  }
}

async function main(): Promise<void> {
  console.error(`starting ${CONTAINERS} idle containers…`);
  const ids: string[] = [];
  try {
    for (let i = 0; i < CONTAINERS; i++) {
      ids.push(docker('run', '-d', '--label', 'dockpulse.bench=upstream', '--name', `${PREFIX}${i}`, 'local/busybox:latest', 'sleep', '1d'));
    }
    const viewers = `${VIEWERS} viewer${VIEWERS > 1 ? 's' : ''}`;
    const rows: { phase: string; daemon: number[]; client: number[] }[] = [
      { phase: 'nobody watching', daemon: [], client: [] },
      { phase: `dockpulse cgroup (${viewers})`, daemon: [], client: [] },
      { phase: `dockpulse docker (${viewers})`, daemon: [], client: [] },
      { phase: 'docker stats', daemon: [], client: [] },
    ];
    const rates: Record<string, number> = {};
    for (let r = 0; r < ROUNDS; r++) {
      console.error(`round ${r + 1}/${ROUNDS}`);
      const idle = await measure(() => []);
      rows[0]!.daemon.push(idle.daemon);
      rows[0]!.client.push(0);
      for (const [i, source] of [[1, 'cgroup'], [2, 'docker']] as const) {
        const gw = await withGateway(ids, source);
        rows[i]!.daemon.push(gw.daemon);
        rows[i]!.client.push(gw.client);
        rates[source] = gw.samples / SECONDS;
      }
      const ds = await withDockerStats(ids);
      rows[3]!.daemon.push(ds.daemon);
      rows[3]!.client.push(ds.client);
    }
    const idle = median(rows[0]!.daemon);
    console.log(`\n${CONTAINERS} idle containers, ${ROUNDS} rounds of ${SECONDS} s, medians; CPU in ms per second (10 = 1 % of one core)`);
    console.log(`the first viewer received ${rates['cgroup']?.toFixed(1)} samples/s from the cgroup source, ${rates['docker']?.toFixed(1)} from the docker source\n`);
    console.log('phase'.padEnd(26) + 'daemons'.padStart(10) + 'above idle'.padStart(12) + 'client/gw'.padStart(11) + 'total extra'.padStart(13) + '  ms/sample');
    const out: Record<string, unknown>[] = [];
    for (const row of rows) {
      const d = median(row.daemon);
      const c = median(row.client);
      const extra = d - idle + c;
      const perSample = row.phase === 'nobody watching' ? '' : (extra / CONTAINERS).toFixed(2);
      console.log(row.phase.padEnd(26) + d.toFixed(1).padStart(10) + (d - idle).toFixed(1).padStart(12) + c.toFixed(1).padStart(11) + extra.toFixed(1).padStart(13) + perSample.padStart(11));
      out.push({ phase: row.phase, daemonMsPerS: d, clientMsPerS: c, extraMsPerS: extra, rounds: row.daemon });
    }
    const file = resolve(here, `../../bench/results/upstream-${CONTAINERS}c-${VIEWERS}v.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ containers: CONTAINERS, rounds: ROUNDS, seconds: SECONDS, viewers: VIEWERS, rows: out }, null, 2));
    console.log(`\nwritten to ${file}`);
  } finally {
    const mine = docker('ps', '-aq', '--filter', `name=${PREFIX}`);
    if (mine) execFileSync('docker', ['rm', '-f', ...mine.split('\n')], { stdio: 'ignore' });
  }
}

await main();
