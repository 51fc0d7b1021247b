import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { renderExposition } from './exposition.js';
import { countResources, parseMaxFds, processMetrics } from './process-metrics.js';
import { readProcessFigures } from './process-figures.js';

test('the process figures under the names Prometheus client libraries use, resources by type', () => {
  const text = renderExposition(
    processMetrics({
      rss: 81_000_000,
      heapUsed: 20_000_000,
      heapTotal: 30_000_000,
      openFds: 42,
      maxFds: 20_000,
      resources: countResources(['Timeout', 'TCPSocketWrap', 'Timeout', 'PipeWrap']),
    }),
  );
  for (const line of [
    'process_resident_memory_bytes 81000000',
    'nodejs_heap_size_used_bytes 20000000',
    'nodejs_heap_size_total_bytes 30000000',
    'process_open_fds 42',
    'process_max_fds 20000',
    'nodejs_active_resources{type="PipeWrap"} 1',
    'nodejs_active_resources{type="TCPSocketWrap"} 1',
    'nodejs_active_resources{type="Timeout"} 2',
  ]) {
    assert.ok(text.split('\n').includes(line), `${line} missing from:\n${text}`);
  }
  assert.match(text, /# TYPE process_open_fds gauge/);
});

test('descriptor figures are left out where the system does not give them', () => {
  const text = renderExposition(
    processMetrics({ rss: 1, heapUsed: 1, heapTotal: 1, openFds: undefined, maxFds: undefined, resources: {} }),
  );
  assert.doesNotMatch(text, /process_open_fds|process_max_fds/);
});

test('the soft limit on open files from /proc/self/limits', () => {
  const limits = [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             63382                63382                processes ',
    'Max open files            1024                 524288               files     ',
  ].join('\n');
  assert.equal(parseMaxFds(limits), 1024);
  assert.equal(parseMaxFds(limits.replace(/1024 {17}/, 'unlimited            ')), undefined);
  assert.equal(parseMaxFds(''), undefined);
});

test('an opened file is counted and its release too', (t) => {
  // Synchronous from the first reading to the last, so that nothing else in this process opens or closes one between.
  const before = readProcessFigures();
  if (before.openFds === undefined) return t.skip('this system has no /proc/self/fd to count descriptors in');
  const fd = openSync(process.execPath, 'r');
  const held = readProcessFigures();
  closeSync(fd);
  const after = readProcessFigures();
  assert.equal(held.openFds, before.openFds + 1);
  assert.equal(after.openFds, before.openFds);
  assert.ok(after.rss > 0 && after.heapUsed > 0 && after.heapTotal >= after.heapUsed);
});

test('a listening socket is counted among the active resources until it is closed', async () => {
  const listening = () => readProcessFigures().resources['TCPServerWrap'] ?? 0;
  const before = listening();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  assert.equal(listening(), before + 1);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // The handle leaves the list once libuv has closed it, a little after the callback.
  for (let i = 0; i < 100 && listening() !== before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(listening(), before);
});
