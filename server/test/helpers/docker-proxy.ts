import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Engine } from '../../src/docker/engine.js';

/** One HTTP request seen going to the engine. */
export interface ProxiedRequest {
  method: string;
  path: string;
  /** Which proxied connection carried it. */
  connection: number;
}

interface Pair {
  id: number;
  client: Socket;
  upstream: Socket;
}

const REQUEST_LINE = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r\n/;

/**
 * A unix-socket proxy in front of the Docker engine that the test controls: it can go away (listener closed,
 * every connection destroyed, as when dockerd dies) and come back on the same path. It notes the request
 * line of every request it carries, so a test can see what the gateway asked the engine for.
 */
export class DockerProxy {
  readonly requests: ProxiedRequest[] = [];
  /** Bytes the engine has sent back through the proxy. */
  bytesFromEngine = 0;
  private server: Server | undefined;
  private readonly pairs = new Map<number, Pair>();
  private nextId = 1;

  private constructor(
    private readonly dir: string,
    readonly target: string,
  ) {}

  /** Starts a proxy on a fresh temporary socket path. */
  static async open(target = '/var/run/docker.sock'): Promise<DockerProxy> {
    const proxy = new DockerProxy(await mkdtemp(join(tmpdir(), 'dockpulse-proxy-')), target);
    await proxy.listen();
    return proxy;
  }

  /** The socket path the gateway should be pointed at. */
  get path(): string {
    return join(this.dir, 'docker.sock');
  }

  /** Proxied connections open now. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Connections open now whose last request's path matches `pattern` (a stats stream keeps its connection). */
  openStreams(pattern: RegExp): number {
    const open = new Set(this.pairs.keys());
    const last = new Map<number, string>();
    for (const r of this.requests) last.set(r.connection, r.path);
    let n = 0;
    for (const [conn, path] of last) if (open.has(conn) && pattern.test(path)) n++;
    return n;
  }

  /** (Re)opens the listener on the same path. */
  async listen(): Promise<void> {
    if (this.server) return;
    await rm(this.path, { force: true });
    const server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** The engine goes away: the listener closes and every connection through it is destroyed. */
  async shutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const pair of this.pairs.values()) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
  }

  /** Shuts down and removes the temporary directory. */
  async dispose(): Promise<void> {
    await this.shutdown();
    await rm(this.dir, { recursive: true, force: true });
  }

  private accept(client: Socket): void {
    const id = this.nextId++;
    const upstream = createConnection(this.target);
    const pair: Pair = { id, client, upstream };
    this.pairs.set(id, pair);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(id);
    };
    client.on('data', (chunk: Buffer) => {
      const m = REQUEST_LINE.exec(chunk.toString('latin1', 0, Math.min(chunk.length, 2048)));
      if (m) this.requests.push({ method: m[1]!, path: m[2]!, connection: id });
    });
    upstream.on('data', (chunk: Buffer) => (this.bytesFromEngine += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  }
}

/**
 * An engine client that talks through `proxy`, built directly rather than through `connectEngine`, for tests
 * whose subject is not how the endpoint is configured.
 */
export function engineThrough(proxy: DockerProxy): Engine {
  return { docker: new Docker({ socketPath: proxy.path }), endpoint: `unix://${proxy.path}` };
}
