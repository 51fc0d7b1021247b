/**
 * A message bus and an agent for the e2e run: a real nats-server (Debian's package) on a free loopback port
 * with a store of its own, and `dockpulse agent` as a child process that a test can kill as hard as a crash
 * would and start again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVER_DIR = fileURLToPath(new URL('../../server/', import.meta.url));

/** A free TCP port on loopback, as the kernel hands one out. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `output()` matches `ready`, or fails when the process exits or `timeoutMs` passes. */
async function waitFor(child: ChildProcess, output: () => string, ready: RegExp, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(output())) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited: ${output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`${what} was not ready within ${timeoutMs} ms: ${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Kills a child process (SIGKILL unless told) and waits for it to exit. */
async function end(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

export interface TestNats {
  /** `nats://127.0.0.1:<port>` */
  url: string;
  stop(): Promise<void>;
}

/** Starts a nats-server with JetStream, its store in a temp directory that `stop()` removes. */
export async function startNats(): Promise<TestNats> {
  const dir = await mkdtemp(join(tmpdir(), 'dpe2e-nats-'));
  const port = await freePort();
  const config = join(dir, 'nats.conf');
  await writeFile(config, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, 'store')}" }\n`);
  const child = spawn('nats-server', ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const collect = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const stop = async (): Promise<void> => {
    await end(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const failed = once(child, 'error').then(([e]) => {
      throw new Error(`nats-server could not start (is the nats-server package installed?): ${String(e)}`);
    });
    // JetStream takes requests once the server says it is ready.
    await Promise.race([waitFor(child, () => log, /Server is ready/, 'nats-server'), failed]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `nats://127.0.0.1:${port}`, stop };
}

/** `dockpulse agent` for one host, run from the sources as an operator would run it. */
export class AgentProcess {
  #child: ChildProcess | undefined;
  #log = '';

  constructor(
    readonly host: string,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts it and resolves once it says it is publishing. */
  async start(): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) throw new Error('the agent is running');
    this.#log = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'agent'], {
      cwd: SERVER_DIR,
      env: { ...process.env, DOCKPULSE_HOST_NAME: this.host, DOCKPULSE_LOG_LEVEL: 'info', ...this.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-8000);
    });
    this.#child = child;
    await waitFor(child, () => this.#log, /"agent publishing"/, `agent ${this.host}`);
  }

  /** Kills it at once (SIGKILL): no goodbye on the bus, as a crash or a lost machine. */
  async kill9(): Promise<void> {
    if (this.#child) await end(this.#child);
  }
}
