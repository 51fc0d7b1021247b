import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.js';

const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface GatewayProcessOptions {
  /** Environment on top of this process's (`DOCKPULSE_*` settings). */
  env?: Record<string, string>;
  /** The process's descriptor limit (`ulimit -n`), as an operator's service manager may set it. */
  maxFiles?: number;
}

/**
 * The gateway in a process of its own, run from the sources as an operator runs it, on a free loopback port
 * with a state directory of its own: what it holds (its descriptors) is its own, apart from the test's.
 */
export class GatewayProcess {
  private log = '';
  private constructor(
    private readonly child: ChildProcess,
    private readonly stateDir: string,
    readonly url: string,
  ) {}

  static async start(options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
    const stateDir = await mkdtemp(join(tmpdir(), 'dockpulse-state-'));
    const limit = options.maxFiles !== undefined ? `ulimit -n ${options.maxFiles} && ` : '';
    // `exec`, so that the pid is the gateway's own and not a shell's.
    const child = spawn('sh', ['-c', `${limit}exec "${process.execPath}" --import tsx src/main.ts`], {
      cwd: SERVER_DIR,
      env: {
        ...process.env,
        DOCKPULSE_HOST: '127.0.0.1',
        DOCKPULSE_PORT: '0',
        DOCKPULSE_STATE_DIR: stateDir,
        DOCKPULSE_SOURCE: 'docker',
        DOCKPULSE_RECORD: 'watched',
        DOCKPULSE_LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    try {
      const url = await waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`the gateway exited with ${child.exitCode}: ${log.slice(-2000)}`);
          return /"msg":"dockpulse listening","url":"(http:\/\/[^"]+)"/.exec(log)?.[1];
        },
        30_000,
        'the gateway process to listen',
      );
      const gateway = new GatewayProcess(child, stateDir, url);
      child.stderr?.removeAllListeners('data');
      gateway.log = log;
      child.stderr?.on('data', (chunk: Buffer) => (gateway.log += chunk.toString()));
      return gateway;
    } catch (e) {
      child.kill('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
      throw e;
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** What it logged so far (JSON lines). */
  get output(): string {
    return this.log;
  }

  /** Descriptors the process holds open now. */
  async openFiles(): Promise<number> {
    return (await readdir(`/proc/${this.pid}/fd`)).length;
  }

  /** Stops it (SIGTERM, then SIGKILL) and removes its state directory. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.stateDir, { recursive: true, force: true });
  }
}
