import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nats.js';
import { waitUntil } from './wait.js';

/** One series of an instant query's result. */
export interface PromSeries {
  metric: Record<string, string>;
  value: number;
}

/**
 * A real Prometheus (Debian's package) with a configuration the test gives, storage in a temp directory, and
 * its HTTP API on a free loopback port. `stop` removes everything.
 */
export class TestPrometheus {
  private log = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly dir: string,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log += chunk.toString();
    });
  }

  /** What Prometheus logged, for failure messages. */
  get output(): string {
    return this.log.slice(-4000);
  }

  /** Starts Prometheus with `config` as its prometheus.yml. */
  static async start(config: string): Promise<TestPrometheus> {
    const dir = await mkdtemp(join(tmpdir(), 'dockpulse-prometheus-'));
    const port = await freePort();
    await writeFile(join(dir, 'prometheus.yml'), config);
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const prom = new TestPrometheus(child, `http://127.0.0.1:${port}`, dir);
    try {
      await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${prom.output}`);
          return (await fetch(`${prom.url}/-/ready`).catch(() => undefined))?.ok;
        },
        30_000,
        'Prometheus to be ready',
      );
    } catch (e) {
      await prom.stop();
      throw e;
    }
    return prom;
  }

  /** An instant query through the HTTP API: every series of the result with its value. */
  async query(expr: string): Promise<PromSeries[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || !body.data) throw new Error(`query ${expr}: ${body.error ?? res.status}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  /** The health of each scrape target, as Prometheus sees it. */
  async targets(): Promise<{ health: string; lastError: string }[]> {
    const res = await fetch(`${this.url}/api/v1/targets`);
    const body = (await res.json()) as { data: { activeTargets: { health: string; lastError: string }[] } };
    return body.data.activeTargets;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
