/**
 * A second real Docker engine beside the shared one, for tests that need more than one host. It runs its own
 * dockerd with its own `--data-root`, `--exec-root`, `--pidfile`, unix socket and containerd namespace, on its
 * own bridge (a dockerd started with `--bridge none` deletes the shared engine's `docker0`), and optionally
 * listens on `tcp://127.0.0.1:<free port>` with `--tlsverify` and certificates made for the run. Names are
 * unique to the run (pid and random), so that two test files can each run one.
 *
 * ```ts
 * const started = await startSecondEngine({ tls: true });
 * after(() => (started.ok ? started.value.stop() : undefined));
 * describe('two hosts', { skip: started.ok ? undefined : started.error }, () => {
 *   test('…', async () => {
 *     assert.ok(started.ok);
 *     const engine = started.value;
 *     const id = await engine.containers.run('idle', ['sleep', '1d']); // on the second engine
 *     await engine.docker(['pause', id]); // its docker CLI
 *     await engine.tls!.clientFolder(join(certs, 'remote')); // for remote=<engine.tls.url> in DOCKPULSE_ENGINES
 *   });
 * });
 * ```
 *
 * Starting fails with a reason, rather than throwing, when the host cannot run the engine (no permission to make a
 * bridge, no dockerd or openssl, a daemon that exits or does not answer), so that a test can skip saying why.
 * `stop()` removes every container of the engine, stops the daemon by its pid (SIGTERM, then SIGKILL), and
 * deletes the bridge and the directories; a process that exits without calling it still kills the daemon and
 * deletes the bridge.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { err, ok, type Result } from '@dockpulse/shared';
import { issueCertificate, makeCa, writeClientFolder, type CertificateAuthority } from '../../src/testing/certificates.js';
import { TestContainers, dockerCli, ensureTestImage, type DockerCli } from './docker.js';

/** How to start the engine. */
export interface SecondEngineOptions {
  /** Also listen on `tcp://127.0.0.1:<free port>` with `--tlsverify`, with a CA and certificates made for this run. */
  tls?: boolean;
  /** How long the daemon may take to answer on its socket; 60 s unless told. */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; 20 s unless told. */
  stopTimeoutMs?: number;
}

/** The engine's TLS listener, and the certificate folders that reach it or fail to. */
export interface SecondEngineTls {
  /** `tcp://127.0.0.1:<port>`, a `DOCKPULSE_ENGINES` address. */
  url: string;
  port: number;
  /** The CA that signed the engine's certificate and that the engine trusts for clients. */
  ca: CertificateAuthority;
  /** Writes a client's folder at `dir` (`ca.pem`, `cert.pem`, `key.pem`) that verifies the engine and that it accepts. */
  clientFolder(dir: string): Promise<void>;
  /**
   * Writes a client's folder at `dir` from a foreign CA made for this run: the engine's certificate does not
   * verify against its `ca.pem`, and the engine does not accept its client certificate.
   */
  foreignFolder(dir: string): Promise<void>;
}

/** A running second engine. */
export interface SecondEngine {
  /** Unique to this run; also the bridge's and the containerd namespace's name. */
  readonly name: string;
  /** The daemon's process id. */
  readonly pid: number;
  readonly socketPath: string;
  /** `unix://<socketPath>`, a `DOCKER_HOST` or `DOCKPULSE_ENGINES` address. */
  readonly socketUrl: string;
  /** The bridge its containers are on, and the bridge's address (`10.x.y.1/24`). */
  readonly bridge: { name: string; address: string };
  /** Present when started with `tls`. */
  readonly tls: SecondEngineTls | undefined;
  /** The docker CLI against this engine, over its socket. */
  readonly docker: DockerCli;
  /** Test containers on this engine (the test image is there); `stop()` removes them with the rest. */
  readonly containers: TestContainers;
  /** The daemon's output, for a failing test's message. */
  readonly logFile: string;
  /**
   * Stops the daemon alone (SIGTERM, then SIGKILL), keeping its data, bridge and socket path, as an operator
   * restarting it does; its containers stop with it unless they run with `--live-restore`'s help.
   */
  stopDaemon(): Promise<void>;
  /** Starts the daemon again with the same settings and data, and resolves once it answers. */
  startDaemon(): Promise<void>;
  /** Removes its containers, stops the daemon, deletes the bridge and the directories. Safe to call twice. */
  stop(): Promise<void>;
}

/** Runs a command and resolves with its trimmed stdout; rejects with its stderr. */
function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout.trim());
    });
  });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A bridge name: `dp2`, the pid and random hex, within Linux's 15 characters. */
function uniqueName(): string {
  return `dp2${process.pid.toString(36)}${randomBytes(3).toString('hex')}`.slice(0, 15);
}

/** IPv4 prefixes (`a.b.c.d/n`) in use on this machine: interface addresses and routes. */
async function prefixesInUse(): Promise<[number, number][]> {
  const text = `${await run('ip', ['-4', '-o', 'addr', 'show'])}\n${await run('ip', ['-4', 'route', 'show', 'table', 'all'])}`;
  const out: [number, number][] = [];
  for (const m of text.matchAll(/(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?/g)) {
    const bits = m[5] === undefined ? 32 : Number(m[5]);
    const address = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
    out.push([address, bits]);
  }
  return out;
}

/**
 * A /24 in 10.0.0.0/8 that no address or route of this machine overlaps. Docker's default address pools are in
 * 172.16/12 and 192.168/16, so the shared engine's networks are not there either.
 */
async function freeSubnet(): Promise<string> {
  const used = await prefixesInUse();
  const overlaps = (net: number): boolean =>
    used.some(([address, bits]) => {
      const common = Math.min(24, bits);
      const mask = common === 0 ? 0 : (~0 << (32 - common)) >>> 0;
      return (address & mask) >>> 0 === (net & mask) >>> 0;
    });
  for (let i = 0; i < 100; i++) {
    const b = randomInt(100, 255);
    const c = randomInt(0, 256);
    const net = ((10 << 24) | (b << 16) | (c << 8)) >>> 0;
    if (!overlaps(net)) return `10.${b}.${c}`;
  }
  throw new Error('no free /24 in 10.100.0.0–10.254.255.0 after 100 tries');
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** True when the engine answers `GET /_ping` on its socket. */
function pings(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The last lines of the daemon's log, for a reason why it did not start. */
async function logTail(file: string, lines = 8): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Whether the process has exited (or was never started). */
function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Waits until the process exits, up to `ms`; true when it did. */
async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  // The timer is cancelled once the process exits: a pending one would keep the test process alive.
  const cancel = new AbortController();
  const timeout = delay(ms, false, { signal: cancel.signal }).catch(() => false);
  try {
    return await Promise.race([new Promise<boolean>((resolve) => child.once('exit', () => resolve(true))), timeout]);
  } finally {
    cancel.abort();
  }
}

/** Mount points under `dir` (overlay mounts a killed daemon left), deepest first. */
function mountsUnder(dir: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point.startsWith(`${dir}/`));
  return mounts.sort((a, b) => b.length - a.length);
}

/** What a start has made so far, for the teardown to undo. */
interface Made {
  root?: string;
  bridge?: string;
  daemon?: ChildProcess;
  cli?: DockerCli;
  containers?: TestContainers;
  onExit?: () => void;
}

/**
 * Undoes what a start made, last made first: the containers, the daemon (SIGTERM, then SIGKILL after
 * `stopTimeoutMs`), mounts a killed daemon left, the bridge and the directories. Returns what could not be undone.
 */
async function teardown(made: Made, stopTimeoutMs: number): Promise<string[]> {
  const problems: string[] = [];
  const { daemon, cli, root } = made;
  if (daemon && !exited(daemon) && cli) {
    await made.containers?.removeAll();
    // Anything else on it is a test's too: the engine is this run's alone.
    const left = await cli(['ps', '-aq', '--no-trunc']).catch(() => '');
    if (left) await cli(['rm', '-f', '-v', ...left.split('\n')]).catch((e: unknown) => problems.push(message(e)));
  }
  if (daemon && !exited(daemon)) {
    daemon.kill('SIGTERM');
    if (!(await waitForExit(daemon, stopTimeoutMs))) {
      daemon.kill('SIGKILL');
      if (!(await waitForExit(daemon, 5_000))) problems.push(`dockerd ${daemon.pid} did not exit after SIGKILL`);
    }
  }
  if (made.onExit) process.off('exit', made.onExit);
  if (root) {
    for (const point of mountsUnder(root)) await run('umount', ['-l', point]).catch((e: unknown) => problems.push(message(e)));
  }
  if (made.bridge) await run('ip', ['link', 'del', made.bridge]).catch((e: unknown) => problems.push(message(e)));
  if (root) await rm(root, { recursive: true, force: true }).catch((e: unknown) => problems.push(message(e)));
  return problems;
}

/**
 * Starts a second engine, imports the test image into it, and resolves once both are ready; or resolves with
 * why the engine cannot run on this host, having undone what it did.
 */
export async function startSecondEngine(options: SecondEngineOptions = {}): Promise<Result<SecondEngine, string>> {
  const name = uniqueName();
  const stopTimeoutMs = options.stopTimeoutMs ?? 20_000;
  const made: Made = {};
  /** Undoes what was made, and says why the engine could not start. */
  const cannot = async (why: string): Promise<Result<SecondEngine, string>> => {
    await teardown(made, stopTimeoutMs);
    return err(why);
  };
  try {
    const root = await mkdtemp(join(tmpdir(), `dockpulse-${name}-`));
    made.root = root;
    const socketPath = join(root, 'docker.sock');
    const logFile = join(root, 'dockerd.log');

    let address: string;
    try {
      address = `${await freeSubnet()}.1/24`;
      await run('ip', ['link', 'add', name, 'type', 'bridge']);
      made.bridge = name;
      await run('ip', ['addr', 'add', address, 'dev', name]);
      await run('ip', ['link', 'set', name, 'up']);
    } catch (e) {
      return await cannot(`cannot make a bridge for a second Docker engine: ${message(e)}`);
    }

    const hosts = ['--host', `unix://${socketPath}`];
    let tls: SecondEngineTls | undefined;
    if (options.tls) {
      const dir = join(root, 'tls');
      let ca: CertificateAuthority;
      let server: { cert: string; key: string };
      let port: number;
      try {
        ca = await makeCa(dir, 'engine');
        server = await issueCertificate(ca, dir, 'server', { server: ['DNS:localhost', 'IP:127.0.0.1'] });
        port = await freePort();
      } catch (e) {
        return await cannot(`cannot make certificates for a second Docker engine: ${message(e)}`);
      }
      let foreign: Promise<CertificateAuthority> | undefined;
      tls = {
        url: `tcp://127.0.0.1:${port}`,
        port,
        ca,
        clientFolder: (folder) => writeClientFolder(folder, ca),
        foreignFolder: async (folder) => {
          foreign ??= makeCa(join(dir, 'foreign'), 'foreign');
          await writeClientFolder(folder, await foreign);
        },
      };
      hosts.push('--host', tls.url, '--tlsverify', '--tlscacert', ca.cert, '--tlscert', server.cert, '--tlskey', server.key);
    }

    const args = [
      ...hosts,
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--pidfile',
      join(root, 'dockerd.pid'),
      '--containerd-namespace',
      name,
      '--containerd-plugins-namespace',
      `${name}-plugins`,
      '--bridge',
      name,
      '--iptables=false',
      '--ip-forward=false',
    ];
    // A test process that ends without stop() still leaves no daemon or bridge behind.
    made.onExit = () => {
      if (made.daemon && !exited(made.daemon)) made.daemon.kill('SIGKILL');
      try {
        execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    };
    process.once('exit', made.onExit);
    const started = await launch(made, args, socketPath, logFile, options.startTimeoutMs ?? 60_000);
    if (started !== undefined) return await cannot(started);

    const cli = dockerCli(`unix://${socketPath}`);
    const containers = new TestContainers(cli);
    made.cli = cli;
    made.containers = containers;
    await ensureTestImage(cli);

    let stopped: Promise<void> | undefined;
    return ok({
      name,
      get pid() {
        return made.daemon!.pid!;
      },
      socketPath,
      socketUrl: `unix://${socketPath}`,
      bridge: { name, address },
      tls,
      docker: cli,
      containers,
      logFile,
      stopDaemon: async () => {
        const daemon = made.daemon!;
        if (exited(daemon)) return;
        daemon.kill('SIGTERM');
        if (!(await waitForExit(daemon, stopTimeoutMs))) {
          daemon.kill('SIGKILL');
          await waitForExit(daemon, 5_000);
        }
      },
      startDaemon: async () => {
        if (!exited(made.daemon!)) throw new Error(`dockerd ${made.daemon!.pid} is still running`);
        const why = await launch(made, args, socketPath, logFile, options.startTimeoutMs ?? 60_000);
        if (why !== undefined) throw new Error(why);
      },
      stop: () =>
        (stopped ??= teardown(made, stopTimeoutMs).then((problems) => {
          if (problems.length > 0) throw new Error(`second engine ${name} was not wholly removed: ${problems.join('; ')}`);
        })),
    });
  } catch (e) {
    await teardown(made, stopTimeoutMs);
    throw e;
  }
}

/**
 * Runs dockerd with `args` (its output appended to `logFile`) as `made.daemon`, and waits until it answers on
 * `socketPath`; resolves with why not when it cannot run, exits or does not answer in time.
 */
async function launch(
  made: Made,
  args: readonly string[],
  socketPath: string,
  logFile: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const log = openSync(logFile, 'a');
  let daemon: ChildProcess;
  try {
    daemon = spawn('dockerd', args, { stdio: ['ignore', log, log] });
    made.daemon = daemon;
    await new Promise<void>((resolve, reject) => {
      daemon.once('spawn', resolve);
      daemon.once('error', reject);
    });
  } catch (e) {
    return `cannot run dockerd for a second Docker engine: ${message(e)}`;
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await pings(socketPath))) {
    if (exited(daemon) || Date.now() > deadline) {
      const why = exited(daemon) ? `dockerd exited (${daemon.exitCode ?? daemon.signalCode})` : 'dockerd did not answer in time';
      return `cannot start a second Docker engine: ${why}; its log ends:\n${await logTail(logFile)}`;
    }
    await delay(100);
  }
  return undefined;
}
