/**
 * The embeddable JS client, `web/dist/dockpulse-client.js` as the gateway serves it, used from Node 20 with
 * the `ws` package's WebSocket: no browser involved.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import { WebSocket } from 'ws';
import { containerName, docker, runId, runTestContainer } from '../helpers/docker.js';

import type * as Client from '../../web/dist/dockpulse-client.js';
import type { Sample, WatchStatus } from '../../web/dist/dockpulse-client.js';

type ClientModule = typeof Client;

const BUILT = pathToFileURL(fileURLToPath(new URL('../../web/dist/dockpulse-client.js', import.meta.url))).href;

async function load(): Promise<ClientModule> {
  return (await import(BUILT)) as ClientModule;
}

/** Waits until `check` passes, for values that callbacks fill in. */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('watches a container by name and gets typed samples, history first', async ({ baseURL }) => {
  const { DockpulseClient } = await load();
  const busy = containerName('busy');
  const client = new DockpulseClient({ url: baseURL ?? '', WebSocket, history: 5 });
  try {
    const samples: Sample[] = [];
    const statuses: WatchStatus[] = [];
    client.watch(
      busy,
      (s) => samples.push(s),
      (s) => statuses.push(s),
    );
    await until(() => samples.length >= 4, 'four samples');
    const container = statuses.find((s) => s.type === 'container');
    expect(container).toMatchObject({ type: 'container', name: busy });
    const id = container?.type === 'container' ? container.id : '';
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(statuses).toContainEqual({ type: 'state', state: 'running' });
    for (const s of samples) {
      expect(s.id).toBe(id);
      expect(typeof s.t).toBe('number');
      expect(typeof s.mem.used).toBe('number');
      expect(typeof s.mem.limit).toBe('number');
      expect(s.net.rxRate === null || typeof s.net.rxRate === 'number').toBe(true);
    }
    // In time order, no sample twice.
    for (let i = 1; i < samples.length; i++) expect(samples[i]!.t).toBeGreaterThan(samples[i - 1]!.t);
    const cpu = samples.at(-1)?.cpu ?? 0;
    expect(cpu).toBeGreaterThan(30);
    expect(cpu).toBeLessThan(70);
    expect(client.state).toBe('open');

    let list: { name: string }[] = [];
    const off = client.containers((l) => (list = l));
    await until(() => list.some((c) => c.name === busy), 'the container list');
    off();
  } finally {
    client.close();
  }
});

test('with a share token: only its container, and told when it is revoked', async ({ baseURL, request }) => {
  const { DockpulseClient, SCOPE } = await load();
  const mem = containerName('mem');
  const res = await request.post(`${baseURL}/api/shares`, { data: { container: mem, ttlSeconds: 300 } });
  expect(res.status()).toBe(201);
  const share = (await res.json()) as { id: string; token: string; container: { host: string; id: string } };
  const client = new DockpulseClient({ url: `${(baseURL ?? '').replace(/^http/, 'ws')}/ws`, token: share.token, WebSocket, history: 0 });
  try {
    const samples: Sample[] = [];
    const statuses: WatchStatus[] = [];
    client.watch(
      SCOPE,
      (s) => samples.push(s),
      (s) => statuses.push(s),
    );
    await until(() => samples.length >= 2, 'two samples');
    // The container and its host: the share names both.
    expect(statuses).toContainEqual({ type: 'container', host: share.container.host, id: share.container.id, name: mem });
    expect(samples.every((s) => s.id === share.container.id)).toBe(true);

    // Its own container by name too, with or without its host; any other one, by name, id prefix, or a name
    // that exists nowhere, is forbidden and shows nothing, as the gateway would answer.
    const busy = containerName('busy');
    const other = (await request.get(`${baseURL}/api/containers`).then((r) => r.json())) as { containers: { id: string; name: string }[] };
    const busyId = other.containers.find((c) => c.name === busy)?.id ?? '';
    const watches = new Map<string, { samples: Sample[]; statuses: WatchStatus[] }>();
    const onHost = `${share.container.host}/${mem}`;
    for (const target of [mem, onHost, busy, busyId.slice(0, 12), 'dpe2e-no-such-container']) {
      const w = { samples: [] as Sample[], statuses: [] as WatchStatus[] };
      watches.set(target, w);
      client.watch(
        target,
        (s) => w.samples.push(s),
        (s) => w.statuses.push(s),
      );
    }
    const listErrors: unknown[] = [];
    client.containers(
      () => listErrors.push('a list'),
      (e) => listErrors.push(e),
    );
    for (const target of [mem, onHost]) {
      await until(() => watches.get(target)!.samples.length >= 1, `a sample of the share as ${target}`);
      expect(watches.get(target)!.statuses).toContainEqual({
        type: 'container',
        host: share.container.host,
        id: share.container.id,
        name: mem,
      });
    }
    for (const target of [busy, busyId.slice(0, 12), 'dpe2e-no-such-container']) {
      const w = watches.get(target)!;
      expect(
        w.statuses.filter((s) => s.type !== 'connection'),
        target,
      ).toEqual([{ type: 'error', code: 'forbidden', message: expect.any(String) }]);
      expect(w.samples, target).toEqual([]);
    }
    expect(listErrors).toEqual([{ type: 'error', code: 'forbidden', message: expect.any(String) }]);

    expect((await request.delete(`${baseURL}/api/shares/${share.id}`)).status()).toBe(204);
    await until(() => statuses.some((s) => s.type === 'connection' && s.final), 'the final close');
    expect(statuses.at(-1)).toMatchObject({ type: 'connection', state: 'closed', code: 4410, final: true });
    expect(client.state).toBe('closed');
  } finally {
    client.close();
  }
});

test('a share that follows a name moves to the re-created container', async ({ baseURL, request }) => {
  const { DockpulseClient, SCOPE } = await load();
  const sleeper = ['sh', '-c', "trap 'exit 0' TERM; sleep 1d & wait"];
  const name = `dpe2e-${runId()}-follow`;
  const firstId = await runTestContainer('follow', sleeper);
  let client: InstanceType<ClientModule['DockpulseClient']> | undefined;
  try {
    // The gateway lists a new container within moments; retry until it accepts the name.
    let share: { token: string; container: { host: string } } | undefined;
    for (let i = 0; i < 50 && !share; i++) {
      const res = await request.post(`${baseURL}/api/shares`, { data: { container: name, ttlSeconds: 300, follow: 'name' } });
      if (res.status() === 201) share = (await res.json()) as { token: string; container: { host: string } };
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(share).toBeDefined();
    client = new DockpulseClient({ url: baseURL ?? '', token: share!.token, WebSocket, history: 0 });
    const samples: Sample[] = [];
    const statuses: WatchStatus[] = [];
    client.watch(
      SCOPE,
      (s) => samples.push(s),
      (s) => statuses.push(s),
    );
    await until(() => samples.some((s) => s.id === firstId), 'a sample of the first container');

    await docker('rm', '-f', name);
    const secondId = await runTestContainer('follow', sleeper);
    await until(() => samples.some((s) => s.id === secondId), 'a sample of the re-created container', 20_000);
    // Followed on the host the link was made for.
    expect(statuses).toContainEqual({ type: 'container', host: share!.container.host, id: secondId, name });
    expect(statuses.some((s) => s.type === 'connection' && s.final)).toBe(false);
  } finally {
    client?.close();
    await docker('rm', '-f', name).catch(() => undefined);
  }
});

test('loads in Node from a folder whose package.json says "type": "commonjs", as dockpulse-client.mjs', async ({ baseURL }) => {
  // What `npm init -y` writes now. There a .js file is CommonJS, so an ES module must come as .mjs.
  const dir = await mkdtemp(join(tmpdir(), 'dockpulse-client-cjs-'));
  try {
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'status-script', version: '1.0.0', type: 'commonjs' }));
    for (const [file, type] of [
      ['dockpulse-client.mjs', /^text\/javascript/],
      ['dockpulse-client.d.mts', /^text\/plain/],
    ] as const) {
      const res = await fetch(`${baseURL}/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(type);
      await writeFile(join(dir, file), await res.text());
    }
    // A CommonJS script, as that package's own files are, takes the ES module with import().
    await writeFile(
      join(dir, 'watch.js'),
      [
        'const { WebSocket } = require(process.env.WS_MODULE);',
        "setTimeout(() => { console.error('no sample within 15 s'); process.exit(1); }, 15000).unref();",
        "import('./dockpulse-client.mjs').then(({ DockpulseClient }) => {",
        '  const client = new DockpulseClient({ url: process.argv[2], WebSocket, history: 0 });',
        '  client.watch(process.argv[3], (s) => { console.log(JSON.stringify({ id: s.id, used: s.mem.used })); client.close(); });',
        '});',
      ].join('\n'),
    );
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'watch.js'), baseURL ?? '', containerName('mem')], {
      cwd: dir,
      env: { ...process.env, WS_MODULE: createRequire(import.meta.url).resolve('ws') },
      timeout: 30_000,
    });
    const printed = JSON.parse(stdout.trim()) as { id: string; used: number };
    expect(printed.id).toMatch(/^[0-9a-f]{64}$/);
    expect(printed.used).toBeGreaterThan(19 * 1024 * 1024);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('history(): the recent past of a container in columns, and the gateway’s refusal as a coded error', async ({ baseURL }) => {
  const { DockpulseClient } = await load();
  const busy = containerName('busy');
  const client = new DockpulseClient({ url: baseURL ?? '', WebSocket, history: 0 });
  try {
    const to = Date.now();
    const range = await client.history(busy, { from: to - 60_000, to, metrics: ['cpu', 'mem'] });
    expect(range.container.name).toBe(busy);
    expect(range.tier).toBe('raw');
    expect(range.t.length).toBe(range.series.cpu?.avg.length);
    const cpu = (range.series.cpu?.avg ?? []).filter((v): v is number => v !== null);
    expect(cpu.length).toBeGreaterThan(0);
    expect(cpu.at(-1)).toBeGreaterThan(0);
    // More points than a socket answer holds: refused, with the step that would do.
    const error = await client.history(busy, { from: to - 10 * 86_400_000, to, step: 60 }).then(
      () => undefined,
      (e: Client.HistoryError) => e,
    );
    expect(error?.code ?? 'answered').toBe('bad_message');
    expect(error?.message).toMatch(/step of \d+ s/);
  } finally {
    client.close();
  }
});
