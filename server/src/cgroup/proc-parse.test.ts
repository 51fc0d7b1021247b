import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMemTotal, parseMountinfo, parseNetDev, parseParentPid, parseProcCgroup, parseProcStat } from './proc-parse.js';

describe('parseProcStat', () => {
  test('this engine host: seven fields, steal (67) left out as dockerd leaves it out; two cpuN lines', () => {
    const text =
      'cpu  154126 2323 24100 205760 2248 0 459 67 0 0\ncpu0 76481 1213 11764 104343 594 0 95 37 0 0\ncpu1 77645 1110 12335 101416 1653 0 363 30 0 0\nintr 1 2 3\nctxt 9\n';
    const ticks = 154126 + 2323 + 24100 + 205760 + 2248 + 0 + 459;
    assert.deepEqual(parseProcStat(text), { ok: true, value: { systemCpuNs: ticks * 10_000_000, onlineCpus: 2 } });
  });
  test('an offline CPU has no line: online CPUs are counted, not numbered', () => {
    const r = parseProcStat('cpu  1 1 1 1 1 1 1 0 0 0\ncpu0 1 1 1 1 1 1 1 0 0 0\ncpu2 1 1 1 1 1 1 1 0 0 0\n');
    assert.ok(r.ok);
    assert.equal(r.value.onlineCpus, 2);
  });
  test('cpu lines after other lines are not counted (dockerd and glibc stop at the first)', () => {
    const r = parseProcStat('cpu  1 1 1 1 1 1 1\ncpu0 1 1 1 1 1 1 1\nintr 0\ncpu1 1 1 1 1 1 1 1\n');
    assert.ok(r.ok);
    assert.equal(r.value.onlineCpus, 1);
  });
  const errors: [string, string][] = [
    ['empty', ''],
    ['too few fields (a very old kernel)', 'cpu  1 2 3 4\ncpu0 1 2 3 4\n'],
    ['a non-numeric field', 'cpu  1 2 x 4 5 6 7\ncpu0 1 2 3 4 5 6 7\n'],
    ['no per-CPU lines', 'cpu  1 2 3 4 5 6 7\n'],
  ];
  for (const [name, text] of errors) test(`error: ${name}`, () => assert.equal(parseProcStat(text).ok, false));
});

describe('parseMemTotal', () => {
  test('kB to bytes', () =>
    assert.deepEqual(parseMemTotal('MemTotal:       24683656 kB\nMemFree: 1 kB\n'), { ok: true, value: 24683656 * 1024 }));
  test('missing', () => assert.equal(parseMemTotal('MemFree: 1 kB\n').ok, false));
});

describe('parseNetDev', () => {
  const header =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  const cases: [string, string, { rx: number; tx: number } | 'error'][] = [
    [
      'a bridge-network container, real: lo is left out',
      '    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n' +
        '  eth0:     516       6    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n',
      { rx: 516, tx: 0 },
    ],
    [
      'traffic on lo is not counted; two interfaces are summed; a long counter touches the colon',
      '    lo:    4096      32    0    0    0     0          0         0     4096      32    0    0    0     0       0          0\n' +
        '  eth0: 1250148    1017    0    0    0     0          0         0    86431     789    0    0    0     0       0          0\n' +
        '  eth1:12345678901   9001    0    0    0     0          0         0 98765432    4321    0    0    0     0       0          0\n',
      { rx: 1250148 + 12345678901, tx: 86431 + 98765432 },
    ],
    [
      '--network none: only lo',
      '    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n',
      { rx: 0, tx: 0 },
    ],
    ['a truncated line', '  eth0: 1 2 3\n', 'error'],
  ];
  for (const [name, body, want] of cases) {
    test(name, () => {
      const r = parseNetDev(header + body);
      if (want === 'error') assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: want });
    });
  }
});

describe('parseMountinfo', () => {
  test('cgroup v1 and v2 lines, with and without optional fields', () => {
    const r = parseMountinfo(
      '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n' +
        '30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n' +
        '33 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 master:2 - cgroup cgroup rw,cpu,cpuacct\n',
    );
    assert.ok(r.ok);
    assert.deepEqual(r.value, [
      { root: '/', mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', superOptions: ['rw', 'memory'] },
      { root: '/', mountPoint: '/sys/fs/cgroup', fsType: 'cgroup2', superOptions: ['rw', 'nsdelegate', 'memory_recursiveprot'] },
      { root: '/', mountPoint: '/sys/fs/cgroup/cpu,cpuacct', fsType: 'cgroup', superOptions: ['rw', 'cpu', 'cpuacct'] },
    ]);
  });
  test('octal escapes in paths are decoded; a subtree mount keeps its root', () => {
    const r = parseMountinfo('900 800 0:26 /docker/abc /host\\040cgroup ro,relatime - cgroup2 cgroup2 rw\n');
    assert.ok(r.ok);
    assert.deepEqual(r.value[0], { root: '/docker/abc', mountPoint: '/host cgroup', fsType: 'cgroup2', superOptions: ['rw'] });
  });
  test('a line without the separator is an error', () => assert.equal(parseMountinfo('1 2 3 4 5 6 7 8\n').ok, false));
});

describe('parseProcCgroup', () => {
  test('v1 hybrid, real: controllers per hierarchy, the v2 line last', () => {
    const id = 'd885e494b90d4c5e5616d4d50fa35cae065907e7179d176071619ab8e9f3fc78';
    const r = parseProcCgroup(`9:name=systemd:/docker/${id}\n2:cpuacct:/docker/${id}\n1:cpu,cpuacct:/docker/${id}\n0::/docker/${id}\n`);
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.map((e) => e.controllers),
      [['name=systemd'], ['cpuacct'], ['cpu', 'cpuacct'], []],
    );
    assert.equal(r.value[3]!.path, `/docker/${id}`);
  });
  test('a path with a colon is kept whole', () => {
    const r = parseProcCgroup('0::/a:b\n');
    assert.ok(r.ok);
    assert.equal(r.value[0]!.path, '/a:b');
  });
  test('malformed', () => assert.equal(parseProcCgroup('memory:/x\n').ok, false));
});

describe('parseParentPid', () => {
  test('real', () => assert.deepEqual(parseParentPid('5348 (sleep) S 5324 5348 5348 0 -1 4194560 1023'), { ok: true, value: 5324 }));
  test('a command name with spaces and parentheses', () =>
    assert.deepEqual(parseParentPid('77 (a) b (c)) R 12 77 77 0'), { ok: true, value: 12 }));
  test('malformed', () => assert.equal(parseParentPid('77 sleep').ok, false));
});
