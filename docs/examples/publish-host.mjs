// Publishes a made-up host with one made-up container on a dockpulse bus, as an agent would: the host's record,
// then a heartbeat and a sample every second. docs/bus.md describes every message and field.
// Usage, from the repository's root after `pnpm install`, once a gateway has made the bucket and the stream:
//   NATS_URL=nats://127.0.0.1:4222 [NATS_USER=agent-h1 NATS_PASSWORD=…] node docs/examples/publish-host.mjs h1
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';

const host = process.argv[2] ?? 'h1';
const prefix = 'dockpulse';
const nc = await connect({
  servers: (process.env.NATS_URL ?? 'nats://127.0.0.1:4222').split(','),
  user: process.env.NATS_USER,
  pass: process.env.NATS_PASSWORD,
  // The bucket's answer to the record comes to this inbox: the one an agent's user may read.
  inboxPrefix: `_INBOX.agent.${host}`,
});

const agent = randomBytes(12).toString('base64url'); // new at every start
const startedAt = Date.now();
const everyMs = 1000;
const engine = { status: 'up', endpoint: 'unix:///var/run/docker.sock' };
const id = randomBytes(32).toString('hex');
const container = { host, id, name: 'hand-made', image: 'example:1', state: 'running', status: 'Up 1 second', createdAt: startedAt };
const message = (fields) => JSON.stringify({ v: 1, agent, t: Date.now(), ...fields });

// A put into the hosts bucket is a request to the key's subject; the bucket's stream acknowledges it.
const ack = await nc.request(`$KV.${prefix}_hosts.${host}`, message({ startedAt, everyMs, engine, containers: [container] }), {
  timeout: 5000,
});
console.log(`record stored: ${ack.string()}`);

let rx = 0;
setInterval(() => {
  nc.publish(
    `${prefix}.host.${host}.heartbeat`,
    message({ startedAt, everyMs, engine, containers: 1, running: 1, server: 'publish-host/1' }),
  );
  rx += 1500;
  const sample = {
    host,
    id,
    t: Date.now(),
    cpu: 10 + Math.random() * 5,
    mem: { used: 50 * 2 ** 20, limit: 2 ** 30, percent: (50 * 2 ** 20 * 100) / 2 ** 30 },
    net: { rx, tx: 0, rxRate: 1500, txRate: 0 },
    blk: { read: 0, write: 0, readRate: 0, writeRate: 0 },
    pids: 1,
  };
  nc.publish(`${prefix}.host.${host}.samples`, message({ samples: [sample] }));
}, everyMs);
