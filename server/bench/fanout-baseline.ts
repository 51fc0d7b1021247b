/**
 * A child process for fanout.ts: the BASELINE, a minimal `ws` broadcast server with the naive loop. It takes
 * the same synthetic samples (same containers, same 1 s burst) and, for each sample, `JSON.stringify`s one
 * `stats` frame once and calls `ws.send` on every subscribed socket: no batching, no queue, no limits. It
 * speaks just enough of the protocol for the benchmark's clients (`subscribe`, then `stats` frames).
 *
 *   node --import tsx bench/fanout-baseline.ts [--containers 20]
 */
import { setMaxListeners } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL, STATS_TOPIC_PREFIX } from '@dockpulse/shared';
import { syntheticSources } from './synthetic-sources.js';
import { serveWsChild } from './fanout-ipc.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');

const sources = syntheticSources({ containers: Number(args.get('containers') ?? 20), intervalMs: 1000 });
const subscribers = new Map<string, Set<WebSocket>>(sources.ids.map((id) => [id, new Set()]));
const lifetime = new AbortController();
// One abort listener per watched container.
setMaxListeners(0, lifetime.signal);

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
    for (const topic of msg.topics ?? []) subscribers.get(topic.slice(STATS_TOPIC_PREFIX.length))?.add(ws);
  });
  ws.on('close', () => {
    for (const set of subscribers.values()) set.delete(ws);
  });
  ws.on('error', () => {});
});

for (const id of sources.ids) {
  const set = subscribers.get(id)!;
  sources.watch(
    id,
    {
      sample(s) {
        const frame = JSON.stringify({ type: 'stats', samples: [s] });
        for (const ws of set) ws.send(frame);
      },
      state() {},
    },
    lifetime.signal,
  );
}
void sources.run(lifetime.signal);

await serveWsChild(wss, () => lifetime.abort());
