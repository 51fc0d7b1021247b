/**
 * The Podman phase of `bench:upstream` (`--phases podman`): N idle containers on a rootful Podman started on a
 * socket of its own, watched at 1 Hz by the gateway with the cgroup source and with the API source (Podman's
 * libpod stats endpoint), next to `podman stats --interval 1` and to nobody watching, alternating, with
 * medians over rounds. CPU counted: the Podman service, every conmon, and the gateway or the CLI. Per sample:
 * the extra CPU over idle divided by the samples the gateway's dashboard received (N a second for the CLI).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { cpuDelta, cpuOf, median, pidsByName } from './proc-cpu.js';
import { startPodman, type PodmanService } from '../test/helpers/podman.js';

export interface PodmanPhaseOptions {
  containers: number;
  rounds: number;
  seconds: number;
  warmupMs: number;
  network: string;
  port: number;
  /** The built gateway, `dist/main.js`. */
  main: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Window {
  daemon: number;
  client: number;
  rate: number;
}

async function measure(daemons: () => number[], client: () => number[], seconds: number, samples: () => number): Promise<Window> {
  const dp = daemons();
  const cp = client();
  const d0 = cpuOf(dp);
  const c0 = cpuOf(cp);
  const s0 = samples();
  await sleep(seconds * 1000);
  return { daemon: cpuDelta(d0, cpuOf(dp)) / seconds, client: cpuDelta(c0, cpuOf(cp)) / seconds, rate: (samples() - s0) / seconds };
}

async function withGateway(
  podman: PodmanService,
  ids: string[],
  source: 'cgroup' | 'docker',
  o: PodmanPhaseOptions,
  daemons: () => number[],
) {
  const state = mkdtempSync(join(tmpdir(), 'dpbench-state-'));
  const gw: ChildProcess = spawn(process.execPath, [resolve(o.main)], {
    env: {
      ...process.env,
      DOCKER_HOST: podman.endpoint,
      DOCKPULSE_PORT: String(o.port),
      DOCKPULSE_LOG_LEVEL: 'warn',
      DOCKPULSE_SOURCE: source,
      DOCKPULSE_STATE_DIR: state,
      DOCKPULSE_MAX_SUBSCRIPTIONS: String(Math.max(256, ids.length + 1)),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let ws: WebSocket | undefined;
  try {
    // A loaded machine can take a while to start a gateway: up to a minute.
    let up = false;
    for (let i = 0; i < 600 && !up; i++) {
      try {
        up = (await fetch(`http://127.0.0.1:${o.port}/healthz`)).ok;
      } catch {
        // not up yet
      }
      if (!up) await sleep(100);
    }
    if (!up) throw new Error(`the gateway did not answer on port ${o.port} within a minute`);
    let samples = 0;
    ws = new WebSocket(`ws://127.0.0.1:${o.port}/ws`, ['dockpulse.v1']);
    ws.on('open', () => {
      for (let i = 0; i < ids.length; i += 100) {
        ws!.send(JSON.stringify({ type: 'subscribe', topics: ids.slice(i, i + 100).map((id) => `stats:${id}`), history: 0 }));
      }
    });
    ws.on('error', (e) => console.error(`dashboard socket: ${e.message}`));
    ws.on('message', (d) => {
      const m = JSON.parse((d as Buffer).toString()) as { type: string; samples?: unknown[] };
      if (m.type === 'stats' && m.samples) samples += m.samples.length;
    });
    await sleep(o.warmupMs);
    return await measure(
      daemons,
      () => [gw.pid!],
      o.seconds,
      () => samples,
    );
  } finally {
    ws?.terminate();
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    rmSync(state, { recursive: true, force: true });
  }
}

async function withPodmanStats(ids: string[], o: PodmanPhaseOptions, daemons: () => number[]): Promise<Window> {
  const cli = spawn('podman', ['stats', '--interval', '1', '--format', 'json', ...ids], { stdio: ['ignore', 'ignore', 'ignore'] });
  try {
    await sleep(5000);
    const w = await measure(
      daemons,
      () => [cli.pid!],
      o.seconds,
      () => 0,
    );
    return { ...w, rate: ids.length };
  } finally {
    cli.kill('SIGKILL');
    await new Promise((r) => cli.once('exit', r));
  }
}

/** Runs the phase and prints its table; returns the rows for the results file. */
export async function podmanPhase(o: PodmanPhaseOptions): Promise<Record<string, unknown>[]> {
  const podman = await startPodman();
  try {
    console.error(`starting ${o.containers} idle Podman containers…`);
    const network = o.network === 'default' ? [] : ['--network', o.network];
    const ids: string[] = [];
    for (let i = 0; i < o.containers; i += 5) {
      const batch = Array.from({ length: Math.min(5, o.containers - i) }, (_, k) =>
        podman.containers.run(`bench-${i + k}`, ['sleep', '1d'], network),
      );
      ids.push(...(await Promise.all(batch)));
    }
    const daemons = (): number[] => [podman.pid, ...pidsByName(/^conmon$/)];
    const rows = new Map<string, Window[]>();
    const add = (phase: string, w: Window): void => void rows.set(phase, [...(rows.get(phase) ?? []), w]);
    for (let r = 0; r < o.rounds; r++) {
      console.error(`podman round ${r + 1}/${o.rounds}`);
      add(
        'nobody watching',
        await measure(
          daemons,
          () => [],
          o.seconds,
          () => 0,
        ),
      );
      add('dockpulse cgroup (Podman)', await withGateway(podman, ids, 'cgroup', o, daemons));
      add('dockpulse API (libpod)', await withGateway(podman, ids, 'docker', o, daemons));
      add('podman stats --interval 1', await withPodmanStats(ids, o, daemons));
    }
    const idle = median(rows.get('nobody watching')!.map((w) => w.daemon));
    console.log(`\nPodman: ${ids.length} idle containers (network ${o.network}), ${o.rounds} rounds of ${o.seconds} s, medians`);
    console.log('CPU in ms per second; daemons = the Podman service and every conmon; extra = daemons above idle + gateway or CLI');
    console.log(
      'phase'.padEnd(28) +
        'daemons'.padStart(9) +
        'above idle'.padStart(12) +
        'gw/CLI'.padStart(9) +
        'extra'.padStart(9) +
        'samples/s'.padStart(11) +
        'ms/sample'.padStart(11),
    );
    const out: Record<string, unknown>[] = [];
    for (const [phase, ws] of rows) {
      const d = median(ws.map((w) => w.daemon));
      const c = median(ws.map((w) => w.client));
      const rate = median(ws.map((w) => w.rate));
      const extra = d - idle + c;
      const ms = rate > 0 ? extra / rate : NaN;
      console.log(
        phase.padEnd(28) +
          d.toFixed(1).padStart(9) +
          (d - idle).toFixed(1).padStart(12) +
          c.toFixed(1).padStart(9) +
          extra.toFixed(1).padStart(9) +
          (rate > 0 ? rate.toFixed(1) : '').padStart(11) +
          (Number.isNaN(ms) ? '' : ms.toFixed(3)).padStart(11),
      );
      out.push({
        phase: `podman: ${phase}`,
        daemonMsPerS: d,
        clientMsPerS: c,
        extraMsPerS: extra,
        samplesPerS: rate,
        msPerSample: ms,
        rounds: ws,
      });
    }
    return out;
  } finally {
    await podman.stop();
  }
}
