import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on a free loopback port to `127.0.0.1:<target>`, which a test can cut: every connection through
 * it is dropped and new ones are refused until it is restored. It cuts one client off a server that others
 * still reach.
 */
export class TcpRelay {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;

  private constructor(
    readonly target: number,
    readonly port: number,
  ) {}

  /** `nats://127.0.0.1:<port>` */
  get natsUrl(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(target: number): Promise<TcpRelay> {
    const probe = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
    const relay = new TcpRelay(target, port);
    probe.on('connection', (s) => relay.relay(s));
    relay.server = probe;
    return relay;
  }

  /** Drops every connection and refuses new ones (nothing listens) until `restore`. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((s) => this.relay(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    await this.cut();
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
