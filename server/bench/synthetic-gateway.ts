/**
 * A child process for the fan-out benchmarks: the real gateway (`serve()` from src/main.ts, current code)
 * fed by the SYNTHETIC sources, on 127.0.0.1 and a free port. It sends `ready` with the port over IPC, then
 * answers `status` (memory, open sockets), `gc`, `profile-start`, `profile-stop` and `stop`.
 *
 *   node --import tsx bench/synthetic-gateway.ts [--containers 20] [--hosts 1] [--stall-timeout ms] [--high-water bytes]
 *        [--heartbeat ms] [--keep 0]
 *
 * With `--hosts N` above 1, the containers are split over N synthetic hosts (`syntheticHosts`) whose bursts are
 * spread over the interval. Started by fanout.ts, slow.ts, memory.ts, fanout-profile.ts and hosts.ts; not meant
 * to be run by hand.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { defaultConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { serve } from '../src/main.js';
import { syntheticHosts, syntheticSources } from './synthetic-sources.js';
import { collectGarbage, memoryStatus, serveRequests, type ReadyMessage } from './fanout-ipc.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');

const stateDir = mkdtempSync(join(tmpdir(), 'dockpulse-bench-'));
const config = defaultConfig();
config.host = '127.0.0.1';
config.port = 0;
config.stateDir = stateDir;
config.logLevel = 'warn';
config.limits = { ...config.limits, maxSubscriptions: Math.max(config.limits.maxSubscriptions, Number(args.get('containers') ?? 20) + 1) };
if (args.has('stall-timeout')) config.outbox.stallTimeoutMs = Number(args.get('stall-timeout'));
if (args.has('high-water')) config.outbox.highWaterMarkBytes = Number(args.get('high-water'));
if (args.has('heartbeat')) config.heartbeatMs = Number(args.get('heartbeat'));
// `--keep 0`: no history on disk, for a side-by-side measure of what recording costs.
if (args.get('keep') === '0') config.keepMinutesS = config.keepHoursS = 0;

const containers = Number(args.get('containers') ?? 20);
const hosts = Number(args.get('hosts') ?? 1);
const sources =
  hosts > 1
    ? syntheticHosts(hosts, Math.floor(containers / hosts), config.intervalMs).map((h) =>
        syntheticSources({ containers: h.ids.length, intervalMs: config.intervalMs, host: h.host, first: h.first, phaseMs: h.phaseMs }),
      )
    : [syntheticSources({ containers, intervalMs: config.intervalMs })];
const gateway = await serve(config, createLogger(config.logLevel), sources);
let profiler: Session | undefined;

serveRequests(async (req) => {
  switch (req.cmd) {
    case 'status':
      return { status: memoryStatus(gateway.transport.size), published: gateway.hub.stats().published };
    case 'gc':
      return { collected: collectGarbage(), status: memoryStatus(gateway.transport.size) };
    case 'profile-start':
      profiler = new Session();
      profiler.connect();
      await post(profiler, 'Profiler.enable');
      await post(profiler, 'Profiler.setSamplingInterval', { interval: 500 });
      await post(profiler, 'Profiler.start');
      return {};
    case 'profile-stop': {
      if (!profiler) throw new Error('profiler not started');
      const { profile } = (await post(profiler, 'Profiler.stop')) as { profile: unknown };
      writeFileSync(String(req['file']), JSON.stringify(profile));
      profiler.disconnect();
      profiler = undefined;
      return {};
    }
    case 'stop':
      await gateway.stop();
      rmSync(stateDir, { recursive: true, force: true });
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown command ${req.cmd}`);
  }
});

process.send?.({ type: 'ready', port: gateway.port } satisfies ReadyMessage);

function post(session: Session, method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => session.post(method, params, (e, result) => (e ? reject(e) : resolve(result))));
}
