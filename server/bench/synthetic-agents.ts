/**
 * A child process for the hosts benchmark: SYNTHETIC agents, many hosts from one process, publishing on NATS
 * what a real agent publishes and with the same encoders (`src/bus/messages.ts`): each host's record, put
 * into the hosts bucket by a request to `$KV.<bucket>.<host>` until the bucket's stream acknowledges it, and
 * put again every 30 s as a real agent does; a heartbeat every `--heartbeat` ms; and at each tick one samples
 * message with a sample of each of its containers (`syntheticSample`), whose `t` is the time of publishing. The
 * hosts' ticks, and their records' refreshes, are spread over their intervals (`syntheticHosts`), as independent
 * machines' are. No Docker engine is involved.
 *
 *   node --import tsx bench/synthetic-agents.ts --nats nats://127.0.0.1:4222 [--hosts 10] [--containers 100]
 *        [--interval 1000] [--heartbeat 1000] [--prefix dockpulse]
 *
 * It sends `ready` once every record is stored (a gateway must have made the bucket), then answers `status`
 * (messages and samples published) and `stop`. Started by hosts.ts; not meant to be run by hand.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { RECORD_REFRESH_MS } from '../src/bus/agent.js';
import { BUS_VERSION, encode, type HeartbeatMessage, type HostRecord, type SamplesMessage } from '../src/bus/messages.js';
import { busNames } from '../src/bus/subjects.js';
import { newCounters, syntheticHosts, syntheticSample, syntheticSummaries } from './synthetic-sources.js';
import { serveRequests, type ReadyMessage } from './fanout-ipc.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const HOSTS = Number(args.get('hosts') ?? 10);
const PER_HOST = Number(args.get('containers') ?? 100);
const INTERVAL_MS = Number(args.get('interval') ?? 1000);
const HEARTBEAT_MS = Number(args.get('heartbeat') ?? 1000);
const names = busNames(args.get('prefix') ?? 'dockpulse');
const RECORD_RETRY_MS = 500;

const nc = await connect({ servers: args.get('nats') ?? 'nats://127.0.0.1:4222', name: 'dockpulse-bench-agents' });
const counts = { messages: 0, samples: 0, heartbeats: 0, records: 0 };
const timers: NodeJS.Timeout[] = [];
const startedAt = Date.now();
const engine = { status: 'up', endpoint: 'synthetic://bench' } as const;

/** One host's agent: its id, its containers and their counters. */
const agents = syntheticHosts(HOSTS, PER_HOST, INTERVAL_MS).map((h) => ({
  ...h,
  agent: randomBytes(12).toString('base64url'),
  summaries: syntheticSummaries(h.host, h.ids, h.first),
  counters: h.ids.map(() => newCounters(Date.now())),
}));

/** Puts the host's record, again and again until it is stored. */
async function putRecord(a: (typeof agents)[number]): Promise<void> {
  const record: HostRecord = {
    v: BUS_VERSION,
    agent: a.agent,
    t: Date.now(),
    startedAt,
    everyMs: HEARTBEAT_MS,
    engine,
    containers: a.summaries,
  };
  for (;;) {
    try {
      const reply = await nc.request(`$KV.${names.hostsBucket}.${a.host}`, encode(record), { timeout: 2000 });
      const ack: unknown = reply.json();
      if (typeof ack === 'object' && ack !== null && 'seq' in ack) break;
    } catch {
      // No bucket yet: the gateway makes it when it connects.
    }
    await new Promise((r) => setTimeout(r, RECORD_RETRY_MS));
  }
  counts.records++;
}

function heartbeat(a: (typeof agents)[number]): void {
  const beat: HeartbeatMessage = {
    v: BUS_VERSION,
    agent: a.agent,
    t: Date.now(),
    startedAt,
    everyMs: HEARTBEAT_MS,
    engine,
    containers: a.ids.length,
    running: a.ids.length,
    server: 'dockpulse/bench-agents',
  };
  nc.publish(names.host(a.host, 'heartbeat'), encode(beat));
  counts.heartbeats++;
}

function tick(a: (typeof agents)[number]): void {
  // The samples' time is when they leave, so that what the clients see is the bus and the gateway's latency.
  const t = Date.now();
  const message: SamplesMessage = {
    v: BUS_VERSION,
    agent: a.agent,
    t,
    samples: a.ids.map((id, i) => syntheticSample(id, a.counters[i]!, t, a.host)),
  };
  nc.publish(names.host(a.host, 'samples'), encode(message));
  counts.messages++;
  counts.samples += message.samples.length;
}

await Promise.all(agents.map(putRecord));
agents.forEach((a, k) => {
  heartbeat(a);
  timers.push(setInterval(() => heartbeat(a), HEARTBEAT_MS));
  timers.push(setTimeout(() => timers.push(setInterval(() => tick(a), INTERVAL_MS)), a.phaseMs));
  const refresh = (): void => void putRecord(a);
  timers.push(setTimeout(() => timers.push(setInterval(refresh, RECORD_REFRESH_MS)), (k * RECORD_REFRESH_MS) / agents.length));
});

serveRequests(async (req) => {
  switch (req.cmd) {
    case 'status':
      return { counts: { ...counts } };
    case 'stop':
      for (const t of timers) clearInterval(t);
      await nc.drain();
      setImmediate(() => process.exit(0));
      return {};
    default:
      throw new Error(`unknown command ${req.cmd}`);
  }
});

process.send?.({ type: 'ready', port: 0 } satisfies ReadyMessage);
