import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './wait.js';

/** A free TCP port on loopback, as the kernel hands one out. */
export function freePort(): Promise<number> {
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

/** Whether a connection to `port` on loopback is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createServer().listen(port, '127.0.0.1');
    socket.once('listening', () => socket.close(() => resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

/** Where a test's NATS server listens and keeps its store, for a configuration written whole. */
export interface NatsPlace {
  port: number;
  storeDir: string;
}

/** What a test's NATS server may be told beyond its port and store. */
export interface NatsServerOptions {
  /** Lines of nats-server configuration (an `authorization { … }` block, `max_payload`), added as they are. */
  config?: string;
  /**
   * The configuration files instead, written as given into the server's directory: `nats.conf` is the one the
   * server reads, and may include the others. It must listen on the port given and keep its store there.
   */
  files?: (place: NatsPlace) => Record<string, string>;
  /** Variables of the server's environment, which a configuration may name (`$AGENT_H1_PASSWORD`). */
  env?: Record<string, string>;
}

/**
 * A real nats-server (Debian's package) with JetStream, on a free loopback port with a store in a temp
 * directory of its own. `kill9` and `restart` keep the port and the store, as a crashed and restarted server
 * would; `stop` removes everything.
 */
export class TestNats {
  private child: ChildProcess | undefined;
  private log = '';

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly configFile: string,
    private readonly env: Record<string, string>,
  ) {}

  /** `nats://127.0.0.1:<port>` */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** The server's process id while it runs, for benchmarks that read its CPU. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** What the server printed, for failure messages. */
  get output(): string {
    return this.log.slice(-4000);
  }

  static async start(options: NatsServerOptions = {}): Promise<TestNats> {
    const dir = await mkdtemp(join(tmpdir(), 'dockpulse-nats-'));
    const port = await freePort();
    const configFile = join(dir, 'nats.conf');
    const storeDir = join(dir, 'store');
    const files = options.files?.({ port, storeDir }) ?? {
      'nats.conf': [`listen: 127.0.0.1:${port}`, `jetstream { store_dir: "${storeDir}" }`, options.config ?? ''].join('\n'),
    };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const nats = new TestNats(port, dir, configFile, options.env ?? {});
    try {
      await nats.launch();
    } catch (e) {
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    return nats;
  }

  /** Kills the server at once (SIGKILL), as a crash would; the port and store stay for `restart`. */
  async kill9(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Starts the server again on the same port and store. */
  async restart(): Promise<void> {
    await this.kill9();
    await this.launch();
  }

  /**
   * Writes one of the configuration files anew and has the running server read its configuration again
   * (SIGHUP, as `systemctl reload` sends); resolves once it says it did.
   */
  async reload(name: string, text: string): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) throw new Error('nats-server is not running');
    await writeFile(join(this.dir, name), text);
    const count = (what: RegExp): number => this.log.match(what)?.length ?? 0;
    const reloaded = count(/Reloaded server configuration/g);
    const failed = count(/Failed to reload/g);
    child.kill('SIGHUP');
    await waitUntil(
      () => count(/Reloaded server configuration/g) > reloaded || count(/Failed to reload/g) > failed,
      10_000,
      'nats-server to reload',
    );
    if (count(/Reloaded server configuration/g) === reloaded) throw new Error(`nats-server did not reload: ${this.output}`);
  }

  async stop(): Promise<void> {
    await this.kill9();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const child = spawn('nats-server', ['-c', this.configFile], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const collect = (chunk: Buffer): void => {
      this.log += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new Error(`nats-server could not start (is the nats-server package installed?): ${e.message}`)));
      child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${this.output}`)));
    });
    failed.catch(() => {});
    await Promise.race([waitUntil(() => accepts(this.port), 10_000, `nats-server on port ${this.port}`), failed]);
    // JetStream is ready once the server says so; before that, stream requests fail.
    await Promise.race([waitUntil(() => /Server is ready/.test(this.log), 10_000, 'nats-server to be ready'), failed]);
  }
}
