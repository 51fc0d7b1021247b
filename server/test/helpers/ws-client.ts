import type { OutgoingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';
import { PROTOCOL, parseServerMessage, type Sample, type ServerMessage } from '@dockpulse/shared';

/** One frame the server sent, as text and as parsed by the shared protocol parser. */
export interface Frame {
  raw: string;
  msg: ServerMessage;
  /** Local receive time, ms since the epoch. */
  at: number;
}

export interface ConnectOptions {
  /** Subprotocols offered; `dockpulse.v1` when absent. */
  protocols?: string[];
  headers?: OutgoingHttpHeaders;
  origin?: string;
}

/** How the server closed the socket. */
export interface Closed {
  code: number;
  reason: string;
}

/**
 * A real WebSocket client that keeps every frame the server sends, parsed with `parseServerMessage`. A frame
 * that does not parse is a protocol bug: it fails every pending and later `waitFor`.
 */
export class TestClient {
  readonly frames: Frame[] = [];
  /** Frames that `parseServerMessage` refused, with its reason. */
  readonly malformed: { raw: string; error: string }[] = [];
  /** Resolves when the socket closes, with the code the client saw. */
  readonly closed: Promise<Closed>;
  private isClosed = false;
  private closedWith: Closed | undefined;
  /** Frames dropped by `forget`: `mark()` and `since` count them, so that marks stay valid across it. */
  private forgotten = 0;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        this.closedWith = { code, reason: reason.toString('utf8') };
        resolve(this.closedWith);
        this.notify();
      });
    });
    ws.on('message', (data, isBinary) => {
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString()
        : Buffer.isBuffer(data)
          ? data.toString()
          : Buffer.from(data).toString();
      const raw = isBinary ? `<binary ${text}>` : text;
      const parsed = parseServerMessage(raw);
      if (parsed.ok) this.frames.push({ raw, msg: parsed.value, at: Date.now() });
      else this.malformed.push({ raw, error: parsed.error });
      this.notify();
    });
    // Errors are seen through `closed` and through the assertions on what arrived.
    ws.on('error', () => {});
  }

  /** Connects to `<gatewayUrl>/ws` and resolves once the socket is open. */
  static connect(gatewayUrl: string, options: ConnectOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}/ws`, options.protocols ?? [PROTOCOL], {
      headers: options.headers,
      origin: options.origin,
      perMessageDeflate: false,
    });
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** False once the socket closed. */
  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Sends a JSON message, or a text frame as given when `message` is a string. */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Number of frames received so far; pass it to `waitFor` to look only at frames after this point. */
  mark(): number {
    return this.forgotten + this.frames.length;
  }

  /**
   * Drops the frames received so far, so that a client that runs for long holds only what came since; marks
   * taken before stay valid for what comes after. Call it only while no `waitFor` needs frames that came before.
   */
  forget(): void {
    this.forgotten += this.frames.length;
    this.frames.length = 0;
  }

  /** Resolves with the first frame from index `since` on that satisfies `match`; rejects on timeout or close. */
  waitFor<T extends ServerMessage>(match: (m: ServerMessage) => m is T, timeoutMs: number, since?: number): Promise<T>;
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs: number, since?: number): Promise<ServerMessage>;
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs: number, since = 0): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      let next = since;
      const check = (): void => {
        if (this.malformed.length > 0) return finish(new Error(`server sent a malformed frame: ${JSON.stringify(this.malformed[0])}`));
        for (next = Math.max(next, this.forgotten); next < this.mark(); next++) {
          const frame = this.frames[next - this.forgotten]!;
          if (match(frame.msg)) return finish(undefined, frame.msg);
        }
        if (this.isClosed) {
          const { code, reason } = this.closedWith!;
          return finish(new Error(`socket closed (${code} ${reason}) before the frame waited for arrived (${show(match)})`));
        }
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for a frame (${show(match)})`)), timeoutMs);
      const finish = (error: Error | undefined, msg?: ServerMessage): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (error) reject(error);
        else resolve(msg!);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Sends `ping` and waits for the `pong` after it: proof that the socket still works. */
  async roundTrip(timeoutMs = 5000): Promise<void> {
    const since = this.mark();
    this.send({ type: 'ping' });
    await this.waitFor((m) => m.type === 'pong', timeoutMs, since);
  }

  /** Live samples (from `stats` frames) of container `id` received from index `since` on, in arrival order. */
  samples(id: string, since = 0): Sample[] {
    const out: Sample[] = [];
    for (const f of this.frames.slice(Math.max(0, since - this.forgotten))) {
      if (f.msg.type === 'stats') for (const s of f.msg.samples) if (s.id === id) out.push(s);
    }
    return out;
  }

  /** Waits until `count` live samples of `id` arrived after index `since`, and returns them. */
  async waitForSamples(id: string, count: number, timeoutMs: number, since = 0): Promise<Sample[]> {
    await this.waitFor(() => this.samples(id, since).length >= count, timeoutMs, since);
    return this.samples(id, since);
  }

  /** Waits until the server closes the socket. */
  async waitForClose(timeoutMs: number): Promise<Closed> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for the server to close the socket`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the socket at once (no close handshake to wait for) and resolves when it is closed. */
  async close(): Promise<void> {
    if (!this.isClosed) this.ws.terminate();
    await this.closed;
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

function show(match: (m: ServerMessage) => boolean): string {
  const text = match.toString().replace(/\s+/g, ' ');
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}
