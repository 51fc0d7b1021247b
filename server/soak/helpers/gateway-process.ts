/**
 * The built gateway (`dist/main.js`) in a process of its own, as an operator runs it: its memory, descriptors
 * and handles are its own (not the test runner's, nor its clients'), read from its `/metrics`, and it can be
 * killed as hard as a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../../test/helpers/wait.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'main.js');

/** Sample lines of a Prometheus exposition: `name{labels}` → value. */
export type Scrape = Map<string, number>;

/** Parses the text exposition into its sample lines; throws on a line that is neither a comment nor a sample. */
export function parseExposition(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** A running gateway process. */
export class GatewayProcess {
  private log = '';
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    logSoFar: string,
  ) {
    this.log = logSoFar;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
    });
  }

  /**
   * Starts `dist/main.js` on a free loopback port with `env` on top of this process's environment, and
   * resolves once it listens. `pnpm test:soak` builds it first.
   */
  static async start(env: Record<string, string>, timeoutMs = 30_000): Promise<GatewayProcess> {
    const child = spawnGateway(env);
    let log = '';
    const collect = (chunk: Buffer): void => {
      log += chunk.toString();
    };
    child.stderr?.on('data', collect);
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', () => reject(new Error(`the gateway exited as it started: ${log.slice(-2000)}`))),
    );
    try {
      const url = await Promise.race([
        exited,
        waitUntil(() => /"msg":"dockpulse listening","url":"(http:\/\/[^"]+)"/.exec(log)?.[1], timeoutMs, 'the gateway to listen'),
      ]);
      child.stderr?.off('data', collect);
      return new GatewayProcess(child, url, log);
    } catch (e) {
      child.kill('SIGKILL');
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

  /** Its log lines at level `error`. */
  get errors(): string[] {
    return this.log.split('\n').filter((line) => line.includes('"level":"error"'));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Scrapes `/metrics` on a connection of its own that closes after the answer, so that the scrape leaves
   * no kept-alive socket in the gateway to be counted by the next one.
   */
  metrics(headers: Record<string, string> = {}): Promise<Scrape> {
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}/metrics`, { agent: false, headers: { Connection: 'close', ...headers } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`/metrics answered ${res.statusCode}: ${body}`));
          try {
            resolve(parseExposition(body));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Kills it at once (SIGKILL): nothing is flushed, nothing closed. */
  kill9(): Promise<void> {
    return this.end('SIGKILL');
  }

  /** Stops it as an operator would (SIGTERM), killing it if it has not exited after 10 s. */
  stop(): Promise<void> {
    return this.end('SIGTERM');
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Runs `dist/main.js` with `env` on top of this process's environment and Node.js options `nodeArgs`, its log piped. */
function spawnGateway(env: Record<string, string>, nodeArgs: readonly string[] = []): ChildProcess {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the server first (pnpm test:soak does)`);
  return spawn(process.execPath, [...nodeArgs, MAIN], {
    env: { ...process.env, DOCKPULSE_HOST: '127.0.0.1', DOCKPULSE_PORT: '0', DOCKPULSE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/**
 * Loaded before the gateway: the process kills itself with SIGKILL as it starts to write its first file, as a
 * crash or a power cut at that moment would leave things.
 */
const KILL_AT_FIRST_WRITE =
  'data:text/javascript,import { open } from "node:fs/promises";' +
  'const handle = await open("/dev/null"); const proto = Object.getPrototypeOf(handle); await handle.close();' +
  'proto.writeFile = function () { process.kill(process.pid, "SIGKILL"); };';

/** Starts a gateway that dies at its first file write, and resolves with the signal it died of (or its exit code). */
export function startKilledAtFirstWrite(env: Record<string, string>): Promise<string> {
  const child = spawnGateway(env, ['--import', KILL_AT_FIRST_WRITE]);
  child.stderr?.resume();
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
}

/** A metric's value, or 0 when the scrape does not have it (an `nodejs_active_resources` type with none open). */
export function valueOf(scrape: Scrape, name: string): number {
  return scrape.get(name) ?? 0;
}
