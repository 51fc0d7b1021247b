import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.js';

const SERVER_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `dockpulse agent` in a process of its own, as an operator runs it, so that a test can kill it as hard as a
 * crash would. It runs from the sources, with the environment given on top of this process's.
 */
export class AgentProcess {
  private log = '';
  private child: ChildProcess;

  constructor(
    readonly host: string,
    private readonly env: Record<string, string>,
  ) {
    this.child = this.spawn();
  }

  /** What the agent logged (JSON lines). */
  get output(): string {
    return this.log;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the agent says it is publishing. */
  async ready(timeoutMs = 20_000): Promise<void> {
    await waitUntil(() => /"agent publishing"/.test(this.log) || this.child.exitCode !== null, timeoutMs, `agent ${this.host} to start`);
    if (this.child.exitCode !== null) throw new Error(`agent ${this.host} exited with ${this.child.exitCode}: ${this.log.slice(-2000)}`);
  }

  /** Kills the agent at once (SIGKILL): no goodbye on the bus. */
  async kill9(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** Starts it again with the same settings (a new agent id, as a restarted agent has). */
  restart(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) throw new Error('the agent is still running');
    this.child = this.spawn();
  }

  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  private spawn(): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'agent'], {
      cwd: SERVER_DIR,
      env: { ...process.env, DOCKPULSE_HOST_NAME: this.host, DOCKPULSE_LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
    });
    return child;
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
