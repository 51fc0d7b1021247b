/**
 * Idle containers for the benchmarks that read a real engine: `busybox sleep` containers of the test image,
 * named with a prefix of the run and labelled, started a few at a time and removed at the end. Nothing else on
 * the engine is touched: it is shared with other work.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const dockerAsync = promisify(execFile);

/** The docker CLI's trimmed output. */
export const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/** Containers started at once: dockerd 20.10 slows down past a handful of concurrent creates. */
const START_CONCURRENCY = 4;

/** Containers a bridge network takes here: the kernel's bridge holds at most 1,024 ports. */
const PER_BRIDGE = 500;

/** The idle containers of one benchmark run. */
export class IdleContainers {
  /** Ids of the containers running, in the order they started. */
  readonly ids: string[] = [];
  private readonly networks: string[] = [];
  private started = 0;

  /**
   * @param prefix names are `<prefix><n>`; unique to the run, so that clean-up removes only these
   * @param label `key=value` put on each container and network
   * @param network `default` (the engine's bridge), `none`, or `own`: bridges of this run, 500 containers each,
   *   so that a thousand containers each have a network of their own without filling the default bridge
   */
  constructor(
    private readonly prefix: string,
    private readonly label: string,
    private readonly network: 'default' | 'none' | 'own' = 'default',
  ) {
    // A run stopped with ^C or killed by a timeout would otherwise leave hundreds of idle containers that
    // skew every measurement after it. (`kill -9` still does; the test setup removes what carries the label.)
    // Listening for good, not once: a second signal (a wrapper passing on the first, a second ^C) would
    // otherwise end the process with the clean-up half done.
    let cleaning = false;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        if (cleaning) return;
        cleaning = true;
        console.error(`${signal}: removing the containers…`);
        this.removeAll();
        process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[signal]);
      });
    }
  }

  /** Starts containers until `n` of this run are running; returns the ids of all of them. */
  async grow(n: number): Promise<string[]> {
    let failed = 0;
    const worker = async (): Promise<void> => {
      while (this.started < n) {
        const i = this.started++;
        try {
          const network = this.networkFor(i);
          const { stdout } = await dockerAsync('docker', [
            'run',
            '-d',
            ...(network === undefined ? [] : ['--network', network]),
            '--label',
            this.label,
            '--name',
            `${this.prefix}${i}`,
            'local/busybox:latest',
            'sleep',
            '1d',
          ]);
          this.ids.push(stdout.trim());
        } catch (e) {
          if (failed++ === 0) console.error(`a container failed to start: ${(e as Error).message.split('\n')[0]}`);
        }
        if (this.ids.length % 100 === 0 && this.ids.length > 0) console.error(`  ${this.ids.length} running`);
      }
    };
    await Promise.all(Array.from({ length: START_CONCURRENCY }, worker));
    if (failed > 0) console.error(`${failed} containers failed to start`);
    return this.ids;
  }

  /** Removes every container and network of this run. */
  removeAll(): void {
    const mine = docker('ps', '-aq', '--filter', `name=${this.prefix}`);
    if (mine) {
      const all = mine.split('\n');
      for (let i = 0; i < all.length; i += 100) execFileSync('docker', ['rm', '-f', ...all.slice(i, i + 100)], { stdio: 'ignore' });
    }
    for (const n of this.networks.splice(0)) removeNetwork(n);
  }

  private networkFor(i: number): string | undefined {
    if (this.network === 'default') return undefined;
    if (this.network === 'none') return 'none';
    const k = Math.floor(i / PER_BRIDGE);
    // Created in order by the first container that needs it; the workers start containers in order.
    while (this.networks.length <= k) {
      const name = `${this.prefix}net${this.networks.length}`;
      docker('network', 'create', '--label', this.label, name);
      this.networks.push(name);
    }
    return this.networks[k];
  }
}

/**
 * Removes a network, trying again for a few seconds: right after its containers are removed, dockerd 20.10 can
 * still count their endpoints ("has active endpoints"). One left behind is named, not thrown.
 */
function removeNetwork(name: string): void {
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync('docker', ['network', 'rm', name], { stdio: 'ignore' });
      return;
    } catch {
      if (attempt === 10) {
        console.error(`network ${name} could not be removed; \`docker network rm ${name}\` removes it later`);
        return;
      }
      execFileSync('sleep', ['0.5']);
    }
  }
}

/** Every running container of the engine, with its init pid: what a gateway with `record=all` reads. */
export function runningContainers(): { id: string; pid: number }[] {
  const ids = docker('ps', '-q', '--no-trunc');
  if (!ids) return [];
  const out: { id: string; pid: number }[] = [];
  const all = ids.split('\n');
  const inspect = (ids: string[]): string[] => {
    try {
      return docker('inspect', '--format', '{{.Id}} {{.State.Pid}}', ...ids).split('\n');
    } catch {
      // One of them went away meanwhile (the engine is shared): ask one by one.
      return ids.length === 1 ? [] : ids.flatMap((id) => inspect([id]));
    }
  };
  for (let i = 0; i < all.length; i += 200) {
    for (const line of inspect(all.slice(i, i + 200))) {
      const [id, pid] = line.split(' ');
      if (id && Number(pid) > 0) out.push({ id, pid: Number(pid) });
    }
  }
  return out;
}
