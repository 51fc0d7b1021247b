/**
 * Requests to Podman's own API (`/v4.0.0/libpod/…`), which dockerode has no methods for, through the same
 * connection settings as the engine's Docker-compatible calls.
 */
import type { Engine } from '../docker/engine.js';

/** Largest JSON answer read whole (the info answer is a few KiB). */
const MAX_JSON_BYTES = 1024 * 1024;

interface DialOptions {
  path: string;
  method: 'GET';
  isStream: boolean;
  statusCodes: Record<number, true | string>;
  options?: Record<string, unknown>;
  abortSignal: AbortSignal;
}

type Modem = { dial(opts: DialOptions, cb: (error: unknown, result: unknown) => void): void };

const STATUS = { 200: true, 404: 'no such container', 500: 'server error' } as const;

function dial(engine: Engine, opts: DialOptions): Promise<unknown> {
  const modem = (engine.docker as unknown as { modem: Modem }).modem;
  return new Promise((resolve, reject) =>
    modem.dial(opts, (error, result) =>
      error ? reject(error instanceof Error ? error : new Error('the engine refused the request')) : resolve(result),
    ),
  );
}

/**
 * GETs `path` with the query `query` and resolves with the answer as a stream, for the caller to read and to
 * destroy; rejects when the engine answers with an error status.
 */
export async function dialStream(
  engine: Engine,
  path: string,
  query: Record<string, unknown>,
  signal: AbortSignal,
): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  const res = await dial(engine, {
    path: `${path}?`,
    method: 'GET',
    isStream: true,
    statusCodes: STATUS,
    options: query,
    abortSignal: signal,
  });
  return res as NodeJS.ReadableStream & { destroy(): void };
}

/** GETs `path` and parses its JSON answer, refusing one larger than 1 MiB. */
export async function dialJson(engine: Engine, path: string, signal: AbortSignal): Promise<unknown> {
  const res = await dialStream(engine, path, {}, signal);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_JSON_BYTES) throw new Error(`${path}: answer larger than ${MAX_JSON_BYTES} bytes`);
      chunks.push(chunk);
    }
  } finally {
    res.destroy();
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}
