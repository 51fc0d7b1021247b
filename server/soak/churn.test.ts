/**
 * Containers created, watched, stopped and removed many times over while clients watch: afterwards the gateway
 * holds what it held before, by its own `/metrics`. Topics, upstream streams, client sockets and the sockets to
 * the engine return exactly; descriptors and timers within a couple (see TOLERANCE); memory within what V8 may
 * keep of a grown heap.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostStatsTopic } from '@dockpulse/shared';
import { ensureTestImage } from '../test/helpers/docker.js';
import { TestClient } from '../test/helpers/ws-client.js';
import { waitUntil } from '../test/helpers/wait.js';
import { ApiContainers } from './helpers/api-containers.js';
import { GatewayProcess, valueOf, type Scrape } from './helpers/gateway-process.js';
import { soakSettings } from './helpers/soak-settings.js';

const settings = soakSettings();

/** The host name the gateways serve the engine under. */
const HOST = 'soak';

/**
 * Both ways of reading stats, each in a gateway of its own watching the same containers: cgroup files (what
 * `auto` picks on a host that has them) and the engine's stats streams (one HTTP stream per container).
 */
const SOURCES = ['cgroup', 'docker'] as const;
type SourceName = (typeof SOURCES)[number];

/** Containers every client keeps watching for the whole run. */
const STEADY = 3;

/** Clients that subscribe to each churned container. */
const WATCHERS_PER_CYCLE = 5;

/**
 * The last clients of each gateway come and go (one is replaced every tenth cycle); the others watch the churned
 * containers, which a client closed under a cycle still running would cut short.
 */
const ROTATING = 5;

/** Cycles run at once: the engine, not the gateway, is what limits a cycle's speed. */
const PARALLEL = 4;

/** Cycles between two points where every client drops the frames it holds (see `cycles`). */
const BATCH = 20;

/** Warm-up cycles before the baseline, so that what is made once (a kept-alive socket to the engine, compiled code) is in it. */
const WARM_UP = 8;

const MiB = 1024 * 1024;

/**
 * How far a figure may end above its baseline.
 * - Topics, upstream streams, client sockets (`dockpulse_sockets` and TCP sockets) and listening sockets: none. Each
 *   is opened for a watched container or a client and closed with it; one left over is a leak.
 * - Descriptors: 2. The gateway's HTTP client keeps idle sockets to the engine alive for reuse (none to a few,
 *   depending on how many requests overlapped last), and each is a descriptor; the engine sockets themselves are
 *   bounded separately, below.
 * - Unix sockets (`PipeWrap`, the engine's): 2, for the same kept-alive sockets.
 * - Timers: 2. A retry or a coalescing timer may be pending at the moment of the scrape.
 * - Resident memory: 64 MiB or half the baseline, whichever is more. V8 grows its heap under load and gives
 *   pages back to the system lazily, and the allocator keeps freed arenas. A leak that matters shows in the
 *   counts above first, since what the gateway holds for a container or a client hangs off a topic (its history
 *   of samples), an upstream stream or a socket; the heap in use is reported beside it.
 */
const TOLERANCE = { fds: 2, pipes: 2, timers: 2, rssBytes: (baseline: number) => Math.max(64 * MiB, baseline / 2) };

/** The figures a leak would show in. */
interface Figures {
  topics: number;
  streams: number;
  sockets: number;
  subscriptions: number;
  fds: number;
  rss: number;
  heapUsed: number;
  timers: number;
  tcp: number;
  pipes: number;
  listening: number;
}

function figures(s: Scrape): Figures {
  return {
    topics: valueOf(s, 'dockpulse_topics'),
    streams: valueOf(s, 'dockpulse_upstream_streams'),
    sockets: valueOf(s, 'dockpulse_sockets'),
    subscriptions: valueOf(s, 'dockpulse_subscriptions'),
    fds: valueOf(s, 'process_open_fds'),
    rss: valueOf(s, 'process_resident_memory_bytes'),
    heapUsed: valueOf(s, 'nodejs_heap_size_used_bytes'),
    timers: valueOf(s, 'nodejs_active_resources{type="Timeout"}'),
    tcp: valueOf(s, 'nodejs_active_resources{type="TCPSocketWrap"}'),
    pipes: valueOf(s, 'nodejs_active_resources{type="PipeWrap"}'),
    listening: valueOf(s, 'nodejs_active_resources{type="TCPServerWrap"}'),
  };
}

function show(f: Figures): string {
  return (
    `topics ${f.topics}, upstream streams ${f.streams}, sockets ${f.sockets}, subscriptions ${f.subscriptions}, ` +
    `descriptors ${f.fds}, timers ${f.timers}, tcp ${f.tcp}, unix ${f.pipes}, ` +
    `rss ${(f.rss / MiB).toFixed(1)} MiB, heap used ${(f.heapUsed / MiB).toFixed(1)} MiB`
  );
}

/** One gateway under test and the clients watching it. */
interface Watched {
  source: SourceName;
  gateway: GatewayProcess;
  clients: TestClient[];
}

describe(`${settings.cycles} create/stop/remove cycles while ${settings.clients} clients watch each gateway`, () => {
  const containers = new ApiContainers();
  const stateDirs: string[] = [];
  const watched: Watched[] = [];
  const steady: string[] = [];

  before(async () => {
    await ensureTestImage();
    for (let i = 0; i < STEADY; i++) steady.push(await containers.run(`steady-${i}`));
    for (const source of SOURCES) {
      const stateDir = await mkdtemp(join(tmpdir(), 'dockpulse-soak-'));
      stateDirs.push(stateDir);
      const gateway = await GatewayProcess.start({
        DOCKPULSE_STATE_DIR: stateDir,
        DOCKPULSE_HOST_NAME: HOST,
        DOCKPULSE_SOURCE: source,
        // Only what the clients watch is read, so that the topics counted are this test's and not every container
        // of the shared engine.
        DOCKPULSE_RECORD: 'watched',
      });
      watched.push({ source, gateway, clients: [] });
    }
  });

  after(async () => {
    await Promise.all(watched.flatMap((w) => w.clients.map((c) => c.close())));
    await Promise.all(watched.map((w) => w.gateway.stop()));
    await containers.removeAll();
    await Promise.all(stateDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** Connects a client that watches the overview and one steady container, and waits until it has both. */
  async function watcher(gateway: GatewayProcess, n: number): Promise<TestClient> {
    const client = await TestClient.connect(gateway.url);
    const topic = hostStatsTopic(HOST, steady[n % STEADY]!);
    client.send({ type: 'subscribe', topics: ['containers', topic] });
    await client.waitFor((m) => m.type === 'containers', 20_000);
    await client.waitFor((m) => (m.type === 'history' || m.type === 'state') && m.topic === topic, 20_000);
    return client;
  }

  /**
   * What one gateway's clients do in a cycle: some subscribe to the container by name and hear of it; half of
   * them unsubscribe while it runs; after `stopAndRemove`, those still subscribed see `removed`.
   */
  async function watchCycle(w: Watched, n: number, id: string, topic: string, removed: Promise<void>): Promise<void> {
    const watching = w.clients.length - ROTATING;
    const watchers = Array.from({ length: WATCHERS_PER_CYCLE }, (_, i) => w.clients[(n * WATCHERS_PER_CYCLE + i) % watching]!);
    const marks = watchers.map((c) => c.mark());
    for (const c of watchers) c.send({ type: 'subscribe', topics: [topic] });
    await Promise.all(
      watchers.map((c, i) => c.waitFor((m) => (m.type === 'state' || m.type === 'history') && m.topic === topic, 30_000, marks[i])),
    );
    const kept = watchers.filter((_, i) => i % 2 === 0);
    for (const c of watchers.filter((_, i) => i % 2 === 1)) c.send({ type: 'unsubscribe', topics: [topic] });
    await removed;
    await Promise.all(
      kept.map((c) =>
        c.waitFor((m) => m.type === 'state' && m.topic === topic && m.state === 'removed', 30_000, marks[watchers.indexOf(c)]),
      ),
    );
  }

  /**
   * One cycle: create and start a container; once every gateway lists it, their clients watch it (above); it is
   * stopped, then removed. Every tenth cycle a client of each gateway also leaves and another takes its place.
   */
  async function cycle(n: number): Promise<void> {
    const name = `churn-${n}`;
    const id = await containers.run(name);
    const topic = hostStatsTopic(HOST, containers.prefix + name);
    await Promise.all(
      watched.map((w) =>
        w.clients[n % (w.clients.length - ROTATING)]!.waitFor(
          (m) => m.type === 'containers' && m.containers.some((c) => c.id === id),
          30_000,
        ),
      ),
    );
    let remove = (): void => {};
    const removed = new Promise<void>((resolve) => (remove = resolve));
    const watching = Promise.all(watched.map((w) => watchCycle(w, n, id, topic, removed)));
    // Subscriptions are sent before the stop, so that some land while it runs and some around its end.
    await new Promise((resolve) => setImmediate(resolve));
    await containers.stop(id);
    await containers.remove(id);
    remove();
    await watching;
    if (n % 10 === 9) {
      for (const w of watched) {
        const slot = w.clients.length - ROTATING + (Math.floor(n / 10) % ROTATING);
        const replacement = await watcher(w.gateway, slot);
        const old = w.clients[slot]!;
        w.clients[slot] = replacement;
        await old.close();
      }
    }
  }

  /** Runs cycles `from` to `to` (exclusive), `PARALLEL` at a time. */
  async function cycles(from: number, to: number): Promise<void> {
    for (let batch = from; batch < to; batch += BATCH) {
      const end = Math.min(to, batch + BATCH);
      let next = batch;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          while (next < end) await cycle(next++);
        }),
      );
      // Between batches no cycle waits on a frame: the clients let go of what they received, or a long run would
      // hold every `containers` frame of the shared engine, and read ever slower until the gateway drops them (4408).
      for (const w of watched) for (const c of w.clients) c.forget();
    }
  }

  /** A gateway's figures once it has let go of everything it will let go of by itself, or the last ones read. */
  async function settled(gateway: GatewayProcess, baseline: Figures): Promise<Figures> {
    let last = figures(await gateway.metrics());
    // Topics without subscribers close after the grace period (5 s); the engine's idle sockets close by themselves.
    await waitUntil(
      async () => {
        last = figures(await gateway.metrics());
        return (
          last.topics === baseline.topics &&
          last.streams === baseline.streams &&
          last.sockets === baseline.sockets &&
          last.tcp === baseline.tcp &&
          last.fds <= baseline.fds + TOLERANCE.fds
        );
      },
      20_000,
      'the gateway to come back to its baseline',
    ).catch(() => undefined);
    return last;
  }

  test('topics, streams, sockets, descriptors, timers and memory return to their baseline', async (t) => {
    assert.ok(settings.clients >= ROTATING + WATCHERS_PER_CYCLE, `SOAK_CLIENTS must be ${ROTATING + WATCHERS_PER_CYCLE} or more`);
    for (const w of watched) for (let i = 0; i < settings.clients; i++) w.clients.push(await watcher(w.gateway, i));
    await cycles(0, WARM_UP);
    const baselines = new Map<SourceName, Figures>();
    for (const w of watched) {
      const baseline = await settled(w.gateway, figures(await w.gateway.metrics()));
      baselines.set(w.source, baseline);
      t.diagnostic(`${w.source}: baseline after ${WARM_UP} warm-up cycles: ${show(baseline)}`);
      assert.equal(baseline.sockets, settings.clients, `${w.source}: every client is connected`);
      assert.equal(baseline.topics, STEADY, `${w.source}: the steady containers are the only topics`);
    }

    const started = Date.now();
    await cycles(WARM_UP, WARM_UP + settings.cycles);
    t.diagnostic(`${settings.cycles} cycles took ${((Date.now() - started) / 1000).toFixed(0)} s`);

    for (const w of watched) {
      const { gateway, source } = w;
      const baseline = baselines.get(source)!;
      t.diagnostic(`${source}: right after the cycles: ${show(figures(await gateway.metrics()))}`);
      const end = await settled(gateway, baseline);
      t.diagnostic(`${source}: settled: ${show(end)}`);

      assert.ok(gateway.running, `${source}: the gateway exited: ${gateway.output.slice(-2000)}`);
      assert.deepEqual(gateway.errors, [], `${source}: the gateway logged errors`);
      for (const c of w.clients) {
        assert.ok(c.isOpen, `${source}: a client was disconnected`);
        assert.deepEqual(c.malformed, [], `${source}: a client got a frame the protocol does not allow`);
      }
      assert.equal(end.topics, baseline.topics, `${source}: topics`);
      assert.equal(end.streams, baseline.streams, `${source}: upstream streams`);
      assert.equal(end.sockets, baseline.sockets, `${source}: client sockets`);
      assert.equal(end.subscriptions, baseline.subscriptions, `${source}: subscriptions`);
      assert.equal(end.tcp, baseline.tcp, `${source}: TCP sockets`);
      assert.equal(end.listening, baseline.listening, `${source}: listening sockets`);
      assert.ok(end.pipes <= baseline.pipes + TOLERANCE.pipes, `${source}: unix sockets ${end.pipes}, baseline ${baseline.pipes}`);
      assert.ok(end.fds <= baseline.fds + TOLERANCE.fds, `${source}: descriptors ${end.fds}, baseline ${baseline.fds}`);
      assert.ok(end.timers <= baseline.timers + TOLERANCE.timers, `${source}: timers ${end.timers}, baseline ${baseline.timers}`);
      const rssLimit = baseline.rss + TOLERANCE.rssBytes(baseline.rss);
      assert.ok(
        end.rss <= rssLimit,
        `${source}: resident memory ${(end.rss / MiB).toFixed(1)} MiB, more than ${(rssLimit / MiB).toFixed(1)} MiB`,
      );
    }
  });
});
