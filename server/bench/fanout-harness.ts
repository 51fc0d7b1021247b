/**
 * The parent's side of the fan-out benchmarks: starting a child process (gateway, baseline, clients) with an
 * IPC channel, asking it things, stopping it, reading its RSS from /proc, and writing results.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { GroupReport, ReadyMessage, Reply } from './fanout-ipc.js';
import { cpuDelta, cpuOf } from './proc-cpu.js';

export const benchDir = dirname(fileURLToPath(import.meta.url));
const serverDir = resolve(benchDir, '..');
const resultsDir = resolve(serverDir, '../bench/results');

/** `--name value` flags, with defaults. */
export function flags(defaults: Record<string, string>): Map<string, string> {
  const m = new Map(Object.entries(defaults));
  for (let i = 2; i < process.argv.length; i++) {
    const a = process.argv[i]!;
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (!m.has(k)) throw new Error(`unknown flag --${k}; known: ${[...m.keys()].map((x) => `--${x}`).join(' ')}`);
    m.set(k, v ?? process.argv[++i] ?? '');
  }
  return m;
}

/** A child process with an IPC channel. */
export interface Child {
  name: string;
  pid: number;
  /** The port a server child listens on (0 for the clients). */
  port: number;
  request(cmd: string, args?: Record<string, unknown>): Promise<Reply>;
  /** Asks the child to stop, then kills it if it has not exited within 5 s. */
  stop(): Promise<void>;
  /** Lines of its stderr that matched `countLines`, with the time of the first. */
  counted: { lines: number; firstAt: number | undefined };
}

interface ChildOptions {
  nodeFlags?: string[];
  args?: string[];
  /** Stderr lines containing this are counted instead of printed (e.g. the gateway's slow-consumer warnings). */
  countLines?: string;
  /** Whether the child sends `ready` with a port. */
  server: boolean;
}

/** Starts `bench/<script>` under tsx with an IPC channel; for a server, waits for its `ready`. */
export async function startChild(script: string, options: ChildOptions): Promise<Child> {
  const proc: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', resolve(benchDir, script), ...(options.args ?? [])],
    { cwd: serverDir, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] },
  );
  const counted: Child['counted'] = { lines: 0, firstAt: undefined };
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    if (options.countLines && line.includes(options.countLines)) {
      counted.lines++;
      counted.firstAt ??= Date.now();
    } else {
      process.stderr.write(`[${script}] ${line}\n`);
    }
  });
  const pending = new Map<number, (r: Reply) => void>();
  let nextId = 1;
  let readyResolve: (port: number) => void = () => {};
  const ready = new Promise<number>((ok, fail) => {
    readyResolve = ok;
    proc.once('exit', (code) => fail(new Error(`${script} exited with ${code} before it was ready`)));
  });
  proc.on('message', (raw: unknown) => {
    const m = raw as Partial<ReadyMessage & Reply>;
    if (m.type === 'ready') readyResolve(m.port ?? 0);
    else if (typeof m.id === 'number') {
      pending.get(m.id)?.(m as Reply);
      pending.delete(m.id);
    }
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const port = options.server ? await ready : 0;
  ready.catch(() => {});
  const request = (cmd: string, args: Record<string, unknown> = {}): Promise<Reply> =>
    new Promise((ok, fail) => {
      const id = nextId++;
      pending.set(id, (r) => (r.ok ? ok(r) : fail(new Error(`${script} ${cmd}: ${r.error}`))));
      proc.send({ ...args, id, cmd });
    });
  return {
    name: script,
    pid: proc.pid!,
    port,
    counted,
    request,
    stop: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
      request(options.server ? 'stop' : 'close').catch(() => {});
      await exited;
      clearTimeout(kill);
    },
  };
}

/** Resident set size of a process from /proc, in bytes; NaN once it is gone. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The soft limit on open files of this process (children inherit it). */
export function openFileLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : Infinity;
}

/** Fails early when `sockets` (plus slack) would not fit under the open-file limit. */
export function checkFileLimit(sockets: number): void {
  const limit = openFileLimit();
  if (sockets + 256 > limit) {
    throw new Error(`ulimit -n is ${limit}; ${sockets} sockets need more. Raise it (ulimit -n ${sockets + 1024}) before running.`);
  }
}

/** What the figures were measured on. */
export function machine(): { nproc: number; model: string; node: string; loadavg1: number } {
  const model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return { nproc: cpus().length, model, node: process.version, loadavg1: Number(loadavg()[0]!.toFixed(2)) };
}

/** Writes `data` to bench/results/<name>.json at the repository root, and says where. */
export function writeResults(name: string, data: unknown): void {
  const file = resolve(resultsDir, `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`\nwritten to ${file}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A number for a table cell: fixed decimals, or `–` when it is not a number. */
export function cell(x: number, digits = 0, width = 10): string {
  return (Number.isFinite(x) ? x.toFixed(digits) : '–').padStart(width);
}

/** Bytes as MiB. */
export const mib = (b: number): number => b / 1024 / 1024;

/**
 * The servers a fan-out benchmark can compare: the gateway, the naive baseline, and two reference points
 * for the proposed shared-frame change (fanout-shared-frame.ts with `--write ws` and `--write socket`).
 */
export type ServerKind = 'dockpulse' | 'baseline' | 'shared-ws' | 'shared-socket';

const SERVER_SCRIPTS: Record<ServerKind, [string, string[]]> = {
  dockpulse: ['synthetic-gateway.ts', []],
  baseline: ['fanout-baseline.ts', []],
  'shared-ws': ['fanout-shared-frame.ts', ['--write', 'ws']],
  'shared-socket': ['fanout-shared-frame.ts', ['--write', 'socket']],
};

/** Starts one of the servers in its own process, with `containers` synthetic containers. */
export function startServer(kind: ServerKind, containers: number, extra: Partial<ChildOptions> = {}): Promise<Child> {
  const [script, args] = SERVER_SCRIPTS[kind];
  return startChild(script, {
    ...extra,
    server: true,
    args: ['--containers', String(containers), ...args, ...(extra.args ?? [])],
  });
}

/** User and system CPU of a process from /proc, in ms; undefined once it is gone. */
export function cpuSplitMs(pid: number): { user: number; sys: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) * 10, sys: Number(fields[12]) * 10 };
  } catch {
    return undefined;
  }
}

/** One measurement window: what the clients received, and the CPU both sides used meanwhile. */
export interface Window {
  elapsedMs: number;
  serverCpuMs: number;
  /** Of which in the kernel (on loopback this includes delivering to the clients' sockets). */
  serverSysMs: number;
  /** From /proc for the clients process (its own `process.cpuUsage` agrees). */
  clientCpuMs: number;
  healthy: GroupReport;
  stalled: GroupReport;
}

/**
 * Counts for `seconds` (from the end of one burst to the end of another), with the CPU of both processes:
 * the scheduler's nanoseconds, and the kernel's share of them from the tick-sampled user/system split.
 */
export async function measureWindow(server: Child, clients: Child, seconds: number): Promise<Window> {
  await clients.request('window');
  const s0 = cpuSplitMs(server.pid);
  const sched0 = cpuOf([server.pid]);
  const c0 = cpuOf([clients.pid]);
  await sleep(seconds * 1000);
  const rep = await clients.request('report');
  const s1 = cpuSplitMs(server.pid);
  const serverCpuMs = cpuDelta(sched0, cpuOf([server.pid]));
  const clientCpuMs = cpuDelta(c0, cpuOf([clients.pid]));
  const ticks = (x: { user: number; sys: number } | undefined): number => (x ? x.user + x.sys : NaN);
  const sysShare = ((s1?.sys ?? NaN) - (s0?.sys ?? NaN)) / (ticks(s1) - ticks(s0));
  return {
    elapsedMs: Number(rep['elapsedMs']),
    serverCpuMs,
    serverSysMs: serverCpuMs * sysShare,
    clientCpuMs,
    healthy: rep['healthy'] as GroupReport,
    stalled: rep['stalled'] as GroupReport,
  };
}
