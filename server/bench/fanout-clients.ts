/**
 * A child process for the fan-out benchmarks: K WebSocket clients in one process, light enough that the
 * servers, not this process, are what is measured. Each client is a raw TCP socket speaking just enough
 * RFC 6455 (upgrade, masked client frames, pong, close) that no frame is JSON-parsed: in each `stats` frame,
 * every `"t":` key is one sample (a sample's time is its only `t`; nothing nested in it has one), and its
 * latency is `Date.now()` when the whole frame has arrived minus that `t`. Every 10th (or `stallEvery`-th)
 * socket can be told to stop reading (`socket.pause()`). Topics are subscribed in frames of 100, as the web
 * client sends them, so that a socket of a thousand topics stays inside the gateway's 64 KiB frame limit.
 *
 * Requests (over IPC): `open`, `subscribe`, `window` (start counting), `report`, `counts`, `stall`, `close`. Only
 * 127.0.0.1.
 * `window` and `report` wait for the end of a burst: data, then none for `gapMs` (150 unless given; less where
 * several hosts burst at different moments of each second).
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { PROTOCOL } from '@dockpulse/shared';
import { serveRequests, type GroupReport } from './fanout-ipc.js';

const HOST = '127.0.0.1';
/** Latencies above this are counted in the top bucket. */
const HIST_MAX_MS = 60_000;
const CONNECT_TIMEOUT_MS = 15_000;
const STATS_PREFIX = Buffer.from('{"type":"stats"');
const T_KEY = Buffer.from('"t":');
/** Topics per `subscribe` frame. */
const TOPICS_PER_FRAME = 100;
const HEADER_END = Buffer.from('\r\n\r\n');

type GroupName = 'healthy' | 'stalled';

class Group {
  sockets = 0;
  closed = 0;
  closeCodes: Record<string, number> = {};
  frames = 0;
  samples = 0;
  bytes = 0;
  otherFrames = 0;
  otherBytes = 0;
  hist = new Float64Array(HIST_MAX_MS + 1);

  reset(): void {
    this.frames = 0;
    this.samples = 0;
    this.bytes = 0;
    this.otherFrames = 0;
    this.otherBytes = 0;
    this.hist.fill(0);
  }

  report(): GroupReport {
    const total = this.hist.reduce((a, b) => a + b, 0);
    const at = (q: number): number => {
      if (total === 0) return NaN;
      const want = q * total;
      let seen = 0;
      for (let ms = 0; ms <= HIST_MAX_MS; ms++) {
        seen += this.hist[ms]!;
        if (seen >= want) return ms;
      }
      return HIST_MAX_MS;
    };
    let max = NaN;
    for (let ms = HIST_MAX_MS; ms >= 0; ms--) {
      if (this.hist[ms]! > 0) {
        max = ms;
        break;
      }
    }
    return {
      sockets: this.sockets,
      closed: this.closed,
      closeCodes: { ...this.closeCodes },
      frames: this.frames,
      samples: this.samples,
      bytes: this.bytes,
      otherFrames: this.otherFrames,
      otherBytes: this.otherBytes,
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max,
    };
  }
}

const groups: Record<GroupName, Group> = { healthy: new Group(), stalled: new Group() };

interface Client {
  socket: Socket;
  group: Group;
  /** What it subscribes to when told to. */
  topics: string[];
  /** Bytes of a frame not complete yet, kept as they came: joined only once the frame is whole. */
  pending: Buffer[];
  pendingBytes: number;
  /** Bytes the incomplete frame needs in all (0 while its header is incomplete). */
  need: number;
  upgraded: boolean;
  closed: boolean;
}

const clients: Client[] = [];

/** A client frame: always masked (RFC 6455 §5.3); a zero key is enough for a benchmark. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + 4);
  head[0] = 0x80 | opcode;
  if (ext === 0) head[1] = 0x80 | len;
  else if (ext === 2) {
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 0x80 | 127;
    head.writeUInt32BE(0, 2);
    head.writeUInt32BE(len, 6);
  }
  return Buffer.concat([head, payload]);
}

function markClosed(c: Client, code: string): void {
  if (c.closed) return;
  c.closed = true;
  c.group.closed++;
  c.group.closeCodes[code] = (c.group.closeCodes[code] ?? 0) + 1;
}

/** Reads the digits of a non-negative integer at `i`. */
function readInt(buf: Buffer, i: number): number {
  let n = 0;
  for (let b = buf[i]!; b >= 48 && b <= 57; b = buf[++i]!) n = n * 10 + (b - 48);
  return n;
}

function onText(c: Client, payload: Buffer, now: number): void {
  const g = c.group;
  if (payload.length < STATS_PREFIX.length || payload.compare(STATS_PREFIX, 0, STATS_PREFIX.length, 0, STATS_PREFIX.length) !== 0) {
    g.otherFrames++;
    g.otherBytes += payload.length;
    return;
  }
  g.frames++;
  g.bytes += payload.length;
  for (let i = payload.indexOf(T_KEY); i >= 0; i = payload.indexOf(T_KEY, i + T_KEY.length)) {
    g.samples++;
    g.hist[Math.min(HIST_MAX_MS, Math.max(0, now - readInt(payload, i + T_KEY.length)))]! += 1;
  }
}

/** When the last bytes arrived on any socket, so windows can start and end between bursts. */
let lastDataAt = 0;

function onData(c: Client, chunk: Buffer, upgraded: () => void): void {
  const now = Date.now();
  lastDataAt = now;
  c.pending.push(chunk);
  c.pendingBytes += chunk.length;
  // A large frame comes in many chunks: joining them at every chunk would copy it over and over.
  if (c.pendingBytes < c.need) return;
  const buf = c.pending.length === 1 ? chunk : Buffer.concat(c.pending, c.pendingBytes);
  c.pending = [];
  c.pendingBytes = 0;
  c.need = 0;
  let off = 0;
  if (!c.upgraded) {
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      c.pending = [buf];
      c.pendingBytes = buf.length;
      return;
    }
    if (!buf.toString('latin1', 0, 12).startsWith('HTTP/1.1 101')) {
      c.socket.destroy();
      return;
    }
    c.upgraded = true;
    off = end + HEADER_END.length;
    upgraded();
  }
  while (buf.length - off >= 2) {
    const b0 = buf[off]!;
    let len = buf[off + 1]! & 0x7f;
    let hdr = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      hdr = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
      hdr = 10;
    }
    if (buf.length - off < hdr + len) {
      c.need = hdr + len;
      break;
    }
    const start = off + hdr;
    const end = start + len;
    switch (b0 & 0x0f) {
      case 0x0:
      case 0x1:
        onText(c, buf.subarray(start, end), now);
        break;
      case 0x8:
        markClosed(c, len >= 2 ? String(buf.readUInt16BE(start)) : 'no code');
        c.socket.destroy();
        return;
      case 0x9:
        c.socket.write(clientFrame(0xa, buf.subarray(start, end)));
        break;
      default:
        break;
    }
    off = end;
  }
  if (off < buf.length) {
    c.pending = [buf.subarray(off)];
    c.pendingBytes = buf.length - off;
  }
}

/** Opens one client; resolves once its upgrade is answered, or on failure. */
function openClient(port: number, topics: string[], group: Group): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port, noDelay: true });
    const c: Client = { socket, group, topics, pending: [], pendingBytes: 0, need: 0, upgraded: false, closed: false };
    let settled = false;
    const settle = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (ok) {
        clients.push(c);
        group.sockets++;
      }
      resolve(ok);
    };
    const timer = setTimeout(() => {
      socket.destroy();
      settle(false);
    }, CONNECT_TIMEOUT_MS);
    socket.on('connect', () => {
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: ${HOST}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Protocol: ${PROTOCOL}\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => onData(c, chunk, () => settle(true)));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (c.upgraded) markClosed(c, 'connection closed');
      settle(false);
    });
  });
}

let windowStart = Date.now();
let cpuStart = process.cpuUsage();

/**
 * Waits for the end of the next burst: new data, then nothing for `gapMs` (for at most `maxMs` in all). Windows
 * that start and end this way hold whole bursts and span whole intervals, so their rate is not off by a
 * fraction of a burst.
 */
async function afterBurst(gapMs = 150, maxMs = 3000): Promise<void> {
  const seen = lastDataAt;
  const until = Date.now() + maxMs;
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
  while (lastDataAt === seen && Date.now() < until) await tick();
  while (Date.now() - lastDataAt < gapMs && Date.now() < until) await tick();
}

serveRequests(async (req) => {
  switch (req.cmd) {
    case 'open': {
      const port = Number(req['port']);
      const count = Number(req['count']);
      const topics = req['topics'] as string[];
      const perSocket = req['perSocket'] === 'one' ? 'one' : 'all';
      const stallEvery = Number(req['stallEvery'] ?? 0);
      const concurrency = Number(req['concurrency'] ?? 200);
      const t0 = Date.now();
      let next = 0;
      let opened = 0;
      let failed = 0;
      const worker = async (): Promise<void> => {
        while (next < count) {
          const i = next++;
          const group = stallEvery > 0 && i % stallEvery === 0 ? groups.stalled : groups.healthy;
          const mine = perSocket === 'all' ? topics : [topics[i % topics.length]!];
          if (await openClient(port, mine, group)) opened++;
          else failed++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
      return { opened, failed, ms: Date.now() - t0 };
    }
    case 'subscribe': {
      // Apart from opening, so that samples flowing to the first sockets do not slow the opening of the rest.
      let sent = 0;
      for (const c of clients) {
        if (c.closed) continue;
        for (let i = 0; i < c.topics.length; i += TOPICS_PER_FRAME) {
          const topics = c.topics.slice(i, i + TOPICS_PER_FRAME);
          c.socket.write(clientFrame(0x1, Buffer.from(JSON.stringify({ type: 'subscribe', topics, history: 0 }))));
        }
        sent++;
      }
      return { sent };
    }
    case 'window':
      await afterBurst(Number(req['gapMs'] ?? 150));
      for (const g of Object.values(groups)) g.reset();
      windowStart = Date.now();
      cpuStart = process.cpuUsage();
      return {};
    case 'report': {
      await afterBurst(Number(req['gapMs'] ?? 150));
      const cpu = process.cpuUsage(cpuStart);
      return {
        elapsedMs: Date.now() - windowStart,
        cpuMs: (cpu.user + cpu.system) / 1000,
        healthy: groups.healthy.report(),
        stalled: groups.stalled.report(),
      };
    }
    case 'counts': {
      // At once, without waiting for a burst: what the sockets received since the last window began.
      const g = groups.healthy;
      return { samples: g.samples, otherFrames: g.otherFrames };
    }
    case 'stall': {
      let paused = 0;
      for (const c of clients) {
        if (c.group === groups.stalled && !c.closed) {
          c.socket.pause();
          paused++;
        }
      }
      return { paused };
    }
    case 'close':
      for (const c of clients) c.socket.destroy();
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown command ${req.cmd}`);
  }
});
