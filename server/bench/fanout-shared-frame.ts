/**
 * A child process for fanout.ts: a REFERENCE POINT for the proposed gateway change, not the gateway. It takes
 * the same synthetic samples, keeps dockpulse's 20 ms coalescing window, and then renders ONE `stats` frame
 * for every socket whose subscriptions are the same set (all of them, in the benchmark), encodes it to a
 * Buffer once, and sends that Buffer to each socket:
 *   --write ws      `ws.send(buf, { binary: false })` (no per-socket string, concatenation or UTF-8 encoding);
 *   --write socket  the WebSocket frame (header + payload) is built once with ws's `Sender.frame`, and the
 *                   same Buffer is written to each socket's underlying TCP socket (one write, no framing).
 * No outbox, no backpressure: it shows what the fan-out itself could cost, next to the real gateway.
 *
 *   node --import tsx bench/fanout-shared-frame.ts [--containers 20] [--write ws|socket]
 */
import { setMaxListeners } from 'node:events';
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL, STATS_TOPIC_PREFIX } from '@dockpulse/shared';
import { syntheticSources } from './synthetic-sources.js';
import { serveWsChild } from './fanout-ipc.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const WRITE = args.get('write') === 'socket' ? 'socket' : 'ws';
const COALESCE_MS = 20;

/** ws's frame builder: exported by its ESM entry, though not by its type declarations. */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

const sources = syntheticSources({ containers: Number(args.get('containers') ?? 20), intervalMs: 1000 });
const lifetime = new AbortController();
setMaxListeners(0, lifetime.signal);

/** Sockets grouped by the exact set of container ids they hold (sorted, joined), so a group shares frames. */
const groups = new Map<string, { ids: Set<string>; sockets: Set<WebSocket> }>();
const groupOf = new Map<WebSocket, string>();
let batch: { id: string; json: string }[] = [];
let timer: NodeJS.Timeout | undefined;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  path: '/ws',
  perMessageDeflate: false,
  handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
});
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    const msg = JSON.parse((data as Buffer).toString()) as { type?: string; topics?: string[] };
    if (msg.type !== 'subscribe') return;
    const ids = (msg.topics ?? []).map((t) => t.slice(STATS_TOPIC_PREFIX.length)).sort();
    const key = ids.join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ids: new Set(ids), sockets: new Set() }));
    g.sockets.add(ws);
    groupOf.set(ws, key);
  });
  ws.on('close', () => {
    const key = groupOf.get(ws);
    if (key !== undefined) groups.get(key)?.sockets.delete(ws);
    groupOf.delete(ws);
  });
  ws.on('error', () => {});
});

function flush(): void {
  timer = undefined;
  const items = batch;
  batch = [];
  for (const g of groups.values()) {
    if (g.sockets.size === 0) continue;
    const parts: string[] = [];
    for (const s of items) if (g.ids.has(s.id)) parts.push(s.json);
    if (parts.length === 0) continue;
    const payload = Buffer.from(`{"type":"stats","samples":[${parts.join(',')}]}`);
    if (WRITE === 'ws') {
      for (const ws of g.sockets) ws.send(payload, { binary: false });
    } else {
      const frame = Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
      for (const ws of g.sockets) (ws as unknown as { _socket: Duplex })._socket.write(frame);
    }
  }
}

for (const id of sources.ids) {
  sources.watch(
    id,
    {
      sample(s) {
        batch.push({ id, json: JSON.stringify(s) });
        timer ??= setTimeout(flush, COALESCE_MS);
      },
      state() {},
    },
    lifetime.signal,
  );
}
void sources.run(lifetime.signal);

await serveWsChild(wss, () => {
  lifetime.abort();
  clearTimeout(timer);
});
