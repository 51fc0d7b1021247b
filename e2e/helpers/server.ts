/** Starts the real dockpulse server (`server/dist/main.js`) as a child process, for tests that restart it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { STATE_DIR } from './state-dir.js';

export const SERVER_MAIN = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));

export interface RunningServer {
  url: string;
  /** Stops it with SIGKILL (no goodbye to clients), as a crash would, and waits for the exit. */
  kill(): Promise<void>;
  /** Stops it with SIGTERM, as a service manager does: it closes its sockets and writes what it holds. */
  stop(): Promise<void>;
}

/** Starts a server on `port`; `env` adds to (or overrides) this process's environment, e.g. `DOCKER_HOST`. */
export async function startServer(port: number, env: Record<string, string> = {}): Promise<RunningServer> {
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: {
      ...process.env,
      DOCKPULSE_PORT: String(port),
      DOCKPULSE_HOST: '127.0.0.1',
      DOCKPULSE_LOG_LEVEL: 'error',
      DOCKPULSE_STATE_DIR: STATE_DIR,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child);
  } catch (e) {
    await stop(child);
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${stderr}`, { cause: e });
  }
  return { url, kill: () => stop(child, 'SIGKILL'), stop: () => stop(child, 'SIGTERM') };
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Polls `/healthz` until it answers 200; fails when the process exits or after `timeoutMs`. */
async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server at ${url} did not become healthy within ${timeoutMs} ms`);
}
