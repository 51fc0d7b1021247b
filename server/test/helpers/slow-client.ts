import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { PROTOCOL, parseServerMessage, type ServerMessage } from '@dockpulse/shared';

/** What the python client reports. */
export type SlowEvent = { open: number } | { frame: string } | { close: number } | { eof: true } | { error: string };

const SCRIPT = fileURLToPath(new URL('./slow-client.py', import.meta.url));

/**
 * A WebSocket client with a 4 KiB receive buffer and a small MSS that reads nothing until told to (see
 * slow-client.py): what a frozen browser tab, or a client on a bad link, is to the server.
 */
export class SlowClient {
  readonly events: SlowEvent[] = [];
  /** The frames read so far, parsed. */
  readonly messages: ServerMessage[] = [];
  /** Frames that `parseServerMessage` refused, with its reason. */
  readonly malformed: { raw: string; error: string }[] = [];
  private readonly exited: Promise<void>;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, null>) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const event = JSON.parse(line) as SlowEvent;
      this.events.push(event);
      if ('frame' in event) {
        const parsed = parseServerMessage(event.frame);
        if (parsed.ok) this.messages.push(parsed.value);
        else this.malformed.push({ raw: event.frame, error: parsed.error });
      }
      for (const fn of [...this.listeners]) fn();
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Connects to the gateway's /ws and resolves once the handshake is answered. */
  static async connect(gatewayUrl: string): Promise<SlowClient> {
    const url = new URL(gatewayUrl);
    const child = spawn('python3', [SCRIPT, url.hostname, url.port, '/ws', PROTOCOL], { stdio: ['pipe', 'pipe', 'inherit'] });
    const client = new SlowClient(child);
    const open = await client.waitFor((e) => 'open' in e || 'error' in e, 10_000);
    if (!('open' in open) || open.open !== 101) {
      await client.kill();
      throw new Error(`slow client handshake failed: ${JSON.stringify(open)}`);
    }
    return client;
  }

  send(message: unknown): void {
    this.child.stdin.write(`${JSON.stringify({ send: JSON.stringify(message) })}\n`);
  }

  /** Starts reading whatever the server has sent and will send. */
  startReading(): void {
    this.child.stdin.write(`${JSON.stringify({ read: true })}\n`);
  }

  /** Resolves with the first event that satisfies `match`. */
  waitFor(match: (e: SlowEvent) => boolean, timeoutMs: number): Promise<SlowEvent> {
    return new Promise((resolve, reject) => {
      let next = 0;
      const check = (): void => {
        for (; next < this.events.length; next++) {
          const event = this.events[next]!;
          if (match(event)) return finish(undefined, event);
        }
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for the slow client`)), timeoutMs);
      const finish = (error: Error | undefined, event?: SlowEvent): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve(event!);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Ends the python process (and with it the socket). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
