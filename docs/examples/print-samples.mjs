// Prints live samples for one container from a dockpulse gateway.
// Usage, from the repository's root after `pnpm install`: node docs/examples/print-samples.mjs <container name or id> [ws://127.0.0.1:8080/ws]
// Needs the `ws` package on Node 20, which pnpm install puts beside this file (docs/examples is a workspace
// package); copied elsewhere, `npm install ws` beside it. DOCKPULSE_TOKEN is sent when set.
import WebSocket from 'ws';

const [wanted, url = 'ws://127.0.0.1:8080/ws'] = process.argv.slice(2);
if (!wanted) {
  console.error('usage: node docs/examples/print-samples.mjs <container name or id> [ws://host:port/ws]');
  process.exit(2);
}
const token = process.env.DOCKPULSE_TOKEN;
const ws = new WebSocket(url, ['dockpulse.v1'], token ? { headers: { Authorization: `Bearer ${token}` } } : {});

let watching;
ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', topics: ['containers'] })));
ws.on('message', (data) => {
  const msg = JSON.parse(String(data));
  switch (msg.type) {
    case 'containers': {
      if (watching) break;
      const c = msg.containers.find((c) => c.name === wanted || c.id.startsWith(wanted));
      if (!c) {
        console.error(`no container "${wanted}" (engine ${msg.engine.status} at ${msg.engine.endpoint})`);
        process.exit(1);
      }
      watching = c.id;
      // Only the last minute of history: enough to start with.
      ws.send(JSON.stringify({ type: 'subscribe', topics: [`stats:${c.host}/${c.id}`], history: 60 }));
      break;
    }
    case 'history':
      console.log(`${msg.samples.length} samples of history`);
      break;
    case 'stats':
      for (const s of msg.samples) {
        const cpu = s.cpu === null ? '   -  ' : `${s.cpu.toFixed(1).padStart(5)}%`;
        const mem = (s.mem.used / 2 ** 20).toFixed(1);
        console.log(`${new Date(s.t).toISOString()} cpu ${cpu} mem ${mem} MiB pids ${s.pids}${s.dropped ? ` (${s.dropped} dropped)` : ''}`);
      }
      break;
    case 'state':
      console.log(`state: ${msg.state}`);
      break;
    case 'error':
      console.error(`error ${msg.code}: ${msg.message}`);
      break;
  }
});
ws.on('error', (e) => console.error(`cannot reach ${url}: ${e.message}`));
ws.on('close', (code, reason) => {
  console.error(`closed: ${code} ${reason}`);
  process.exit(code === 1000 ? 0 : 1);
});
