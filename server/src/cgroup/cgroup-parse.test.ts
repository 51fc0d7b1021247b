import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  FlatKey,
  cpuUsageV2,
  digitsAt,
  effectiveMemLimit,
  flatKeyed,
  inactiveFileOf,
  parseBlkioV1,
  parseCount,
  parseIoStatV2,
  parseMemoryLimit,
} from './cgroup-parse.js';

/** A file's content as the source reads it. */
const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

describe('parseCount', () => {
  const cases: [string, string, number | 'error'][] = [
    ['cpuacct.usage as this engine wrote it', '27704347\n', 27704347],
    ['pids.current', '1\n', 1],
    ['zero', '0\n', 0],
    ['no trailing newline', '4096', 4096],
    ['empty (a torn read)', '', 'error'],
    ['negative', '-1\n', 'error'],
    ['a word', 'max\n', 'error'],
    ['two numbers', '1 2\n', 'error'],
  ];
  for (const [name, text, want] of cases) {
    test(name, () => {
      const r = parseCount(bytes(text));
      if (want === 'error') assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: want });
    });
  }
});

describe('parseMemoryLimit and effectiveMemLimit', () => {
  const memTotal = 24683656 * 1024;
  const cases: [string, string, number][] = [
    // v1 writes 2^63 − 1 rounded down to a page when no limit is set; dockerd shows the machine's memory.
    ['v1 without a limit', '9223372036854771712\n', memTotal],
    ['v1 with --memory 256m', '268435456\n', 268435456],
    ['v2 without a limit', 'max\n', memTotal],
    ['v2 with --memory 256m', '268435456\n', 268435456],
    ['a limit above the machine', String(memTotal + 4096), memTotal],
  ];
  for (const [name, text, want] of cases) {
    test(name, () => {
      const limit = parseMemoryLimit(bytes(text));
      assert.ok(limit.ok);
      assert.equal(effectiveMemLimit(limit.value, memTotal), want);
    });
  }
  test('garbage is an error', () => assert.equal(parseMemoryLimit(bytes('unlimited')).ok, false));
});

describe('flatKeyed', () => {
  const V1 = bytes('cache 4096\nrss 49152\ninactive_file 8192\ntotal_inactive_file 12288\nhierarchical_memory_limit 9223372036854771712\n');
  const key = (name: string) => new FlatKey(name);
  test('v1 memory.stat: the wanted key only, a key that is a suffix of another not mistaken for it', () => {
    assert.deepEqual(flatKeyed(V1, key('total_inactive_file')), { ok: true, value: 12288 });
    assert.deepEqual(flatKeyed(V1, key('inactive_file')), { ok: true, value: 8192 });
  });
  test('the first line, and a last line without a newline', () => {
    const stat = bytes('usage_usec 8123456\nuser_usec 6010234');
    assert.deepEqual(flatKeyed(stat, key('usage_usec')), { ok: true, value: 8123456 });
    assert.deepEqual(flatKeyed(stat, key('user_usec')), { ok: true, value: 6010234 });
  });
  test('a key only at the end of another key is not found', () => {
    assert.deepEqual(flatKeyed(bytes('total_rss 5\n'), key('rss')), { ok: true, value: undefined });
  });
  test('a missing key is absent; an empty file has none', () => {
    assert.deepEqual(flatKeyed(V1, key('anon')), { ok: true, value: undefined });
    assert.deepEqual(flatKeyed(bytes(''), key('anon')), { ok: true, value: undefined });
  });
  test('a wanted line with a non-numeric or missing value is an error', () => {
    assert.equal(flatKeyed(bytes('anon lots\n'), key('anon')).ok, false);
    assert.equal(flatKeyed(bytes('anon \nfile 1\n'), key('anon')).ok, false);
    assert.equal(flatKeyed(bytes('file 1\nanon -3\n'), key('anon')).ok, false);
  });
  test('only the bytes of the view are searched, not what lies past it in the buffer', () => {
    const buffer = bytes('anon 1\nfile 2\n');
    assert.deepEqual(flatKeyed(buffer.subarray(0, 7), key('file')), { ok: true, value: undefined });
  });
});

describe('digitsAt', () => {
  test('digits only, exact up to 15 and rounded as Number rounds past that', () => {
    assert.equal(digitsAt(bytes('x123y'), 1, 4), 123);
    assert.equal(digitsAt(bytes('999999999999999'), 0, 15), 999999999999999);
    for (const long of ['9223372036854771712', '18446744073709551615', '12345678901234567']) {
      assert.equal(digitsAt(bytes(long), 0, long.length), Number(long));
    }
  });
  test('empty or not all digits: -1', () => {
    assert.equal(digitsAt(bytes('12'), 1, 1), -1);
    assert.equal(digitsAt(bytes('1 2'), 0, 3), -1);
    assert.equal(digitsAt(bytes('+1'), 0, 2), -1);
  });
});

describe('cpuUsageV2', () => {
  test('usage_usec × 1000, as containerd reports total_usage in ns', () => {
    assert.deepEqual(cpuUsageV2(8123456), { ok: true, value: 8123456000 });
  });
  test('missing usage_usec is an error', () => assert.equal(cpuUsageV2(undefined).ok, false));
});

describe('inactiveFileOf, as docker/cli chooses', () => {
  const cases: [string, [string, number][], number, number | null][] = [
    [
      'v1: total_inactive_file below usage',
      [
        ['total_inactive_file', 31457280],
        ['inactive_file', 1],
      ],
      53739520,
      31457280,
    ],
    [
      'v1: total_inactive_file not below usage, inactive_file is',
      [
        ['total_inactive_file', 100],
        ['inactive_file', 40],
      ],
      100,
      40,
    ],
    ['v2: inactive_file below usage', [['inactive_file', 1175552]], 24313856, 1175552],
    ['v2: inactive_file not below usage', [['inactive_file', 5000]], 5000, null],
    ['neither key', [['anon', 1]], 100, null],
  ];
  for (const [name, entries, usage, want] of cases) {
    test(name, () => {
      const stat = new Map(entries);
      assert.equal(inactiveFileOf(stat.get('total_inactive_file'), stat.get('inactive_file'), usage), want);
    });
  }
});

describe('parseBlkioV1', () => {
  const cases: [string, string, { read: number; write: number } | 'error'][] = [
    ['no I/O: only the Total line', 'Total 0\n', { read: 0, write: 0 }],
    [
      'one device, real (blkio.throttle.io_service_bytes_recursive)',
      '254:0 Read 4096\n254:0 Write 0\n254:0 Sync 4096\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 4096\nTotal 4096\n',
      { read: 4096, write: 0 },
    ],
    [
      'two devices are summed; Sync, Async, Discard and Total are not counted again',
      '8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Total 300\n8:16 Read 1\n8:16 Write 2\n8:16 Total 3\nTotal 303\n',
      { read: 101, write: 202 },
    ],
    ['empty', '', { read: 0, write: 0 }],
    ['a malformed line', '8:0 Read\n', 'error'],
  ];
  for (const [name, text, want] of cases) {
    test(name, () => {
      const r = parseBlkioV1(bytes(text));
      if (want === 'error') assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: want });
    });
  }
});

describe('parseIoStatV2', () => {
  const cases: [string, string, { read: number; write: number } | 'error'][] = [
    [
      'the example of cgroup-v2.rst: two devices summed',
      '8:16 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n8:0 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021\n',
      { read: 1459200 + 90430464, write: 314773504 + 299008000 },
    ],
    [
      'io.latency and io.cost keys (non-integer values) are skipped',
      '259:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0 use_delay=0 delay_nsec=0 depth=max avg_lat=1.5 win=100 cost.vrate=100.00\n',
      { read: 10, write: 20 },
    ],
    ['no devices yet: empty file', '', { read: 0, write: 0 }],
    ['not a device', 'sda rbytes=1\n', 'error'],
    ['a non-numeric byte count', '8:0 rbytes=lots wbytes=0\n', 'error'],
  ];
  for (const [name, text, want] of cases) {
    test(name, () => {
      const r = parseIoStatV2(bytes(text));
      if (want === 'error') assert.equal(r.ok, false);
      else assert.deepEqual(r, { ok: true, value: want });
    });
  }
});
