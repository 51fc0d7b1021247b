/**
 * The messages between a fan-out benchmark and its child processes (gateway, baseline server, clients), and
 * the child's side of the exchange: every request carries an `id`, and the child answers it with the same `id`.
 */

import type { WebSocketServer } from 'ws';

/** A request to a child: `cmd` says what, the rest is its arguments. */
export interface Request {
  id: number;
  cmd: string;
  [arg: string]: unknown;
}

/** A child's answer to the request with the same `id`. */
export interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  [field: string]: unknown;
}

/** Sent once by a server child when it listens. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
}

/** What a server child tells about itself. */
export interface ServerStatus {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Sockets the server holds open now. */
  sockets: number;
}

/** Latency and counts over one measurement window, for one group of client sockets. */
export interface GroupReport {
  sockets: number;
  /** Sockets of the group that were closed since they opened, and the close codes seen. */
  closed: number;
  closeCodes: Record<string, number>;
  frames: number;
  samples: number;
  bytes: number;
  /** Other text frames (container lists, states, replies), and their bytes. */
  otherFrames: number;
  otherBytes: number;
  /** Sample `t` → client receive, ms, weighted by samples. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Answers requests from the parent with `handle`; exits when the parent goes away. */
export function serveRequests(handle: (req: Request) => Promise<Record<string, unknown>> | Record<string, unknown>): void {
  process.on('message', (raw: unknown) => {
    const req = raw as Request;
    Promise.resolve()
      .then(() => handle(req))
      .then(
        (fields) => process.send?.({ ...fields, id: req.id, ok: true } satisfies Reply),
        (e: unknown) => process.send?.({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies Reply),
      );
  });
  process.on('disconnect', () => process.exit(0));
}

/** This process's memory, for a server child's status reply. */
export function memoryStatus(sockets: number): ServerStatus {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, sockets };
}

/** Runs a full, compacting GC when the process was started with `--expose-gc`; twice, so weak references clear. */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  gc();
  gc();
  return true;
}

/**
 * Serves the harness's requests for a plain `ws` server child (the baseline and the stand-in): status, gc,
 * and stop, which runs `onStop` and ends the process; then tells the parent the port it listens on.
 */
export async function serveWsChild(wss: WebSocketServer, onStop: () => void): Promise<void> {
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const address = wss.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  serveRequests((req) => {
    switch (req.cmd) {
      case 'status':
        return { status: memoryStatus(wss.clients.size) };
      case 'gc':
        return { collected: collectGarbage(), status: memoryStatus(wss.clients.size) };
      case 'stop':
        onStop();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        setImmediate(() => process.exit(0));
        return {};
      default:
        throw new Error(`unknown command ${req.cmd}`);
    }
  });
  process.send?.({ type: 'ready', port } satisfies ReadyMessage);
}
