import { randomBytes } from 'node:crypto';
import { request, type IncomingHttpHeaders } from 'node:http';
import { PROTOCOL } from '@dockpulse/shared';

/** A response read whole. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  /** Sent exactly as given (node adds only `Host`, unless given here, and `Content-Length` for a body). */
  headers?: Record<string, string>;
  /** A string body is sent with its `Content-Length`; an array of chunks is sent chunked, with none. */
  body?: string | string[];
}

/**
 * One HTTP request with full control of its headers (`Origin`, `Host`, `Cookie`), which `fetch` does not
 * give, on a connection of its own so that nothing outlives the test. `path` is sent as given, dot segments
 * and escapes included, as a hostile client would send it.
 */
export function raw(baseUrl: string, method: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (typeof options.body === 'string') headers['Content-Length'] = String(Buffer.byteLength(options.body));
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (Array.isArray(options.body)) {
      for (const chunk of options.body) req.write(chunk);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

/** The `error` code of a JSON error body, or undefined. */
export function errorCode(res: RawResponse): unknown {
  try {
    return (JSON.parse(res.body) as { error?: unknown }).error;
  } catch {
    return undefined;
  }
}

/** A JSON POST. */
export function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(baseUrl, 'POST', path, { headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** How a WebSocket upgrade made by hand went: the HTTP status, the subprotocol chosen, and the first frame. */
export interface RawUpgrade {
  status: number;
  protocol: string | undefined;
  /** The first frame's opcode (1 text, 8 close), and a close frame's code. */
  frame?: { opcode: number; closeCode?: number };
}

/**
 * A WebSocket upgrade with a `Sec-WebSocket-Protocol` header sent exactly as given, which WebSocket clients
 * check and refuse to send when an entry is not a valid token. Reads the first frame, then drops the socket.
 */
export function rawUpgrade(baseUrl: string, path: string, protocolHeader: string): Promise<RawUpgrade> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), {
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': protocolHeader,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, protocol: undefined });
    });
    req.on('upgrade', (res, socket, head) => {
      const protocol = res.headers['sec-websocket-protocol'];
      const done = (data: Buffer): void => {
        socket.destroy();
        const opcode = (data[0] ?? 0) & 0x0f;
        const frame: { opcode: number; closeCode?: number } = { opcode };
        if (opcode === 8 && data.length >= 4) frame.closeCode = data.readUInt16BE(2);
        resolve({ status: res.statusCode ?? 0, protocol, frame });
      };
      if (head.length > 0) done(head);
      else socket.once('data', done);
      socket.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The text of a WebSocket upgrade request for `path` on `host` (`host:port`), with `headers` added or replacing
 * the usual ones, as a raw socket sends it.
 */
export function upgradeRequest(host: string, path: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Protocol': PROTOCOL,
    ...headers,
  };
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

/** A masked text frame (RFC 6455 §5.2) holding `text`, as a client must send it. */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length >= 126) throw new RangeError('only short frames are built here');
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}
