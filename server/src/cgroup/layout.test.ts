import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseMountinfo } from './proc-parse.js';
import { containerDirsAt, dirsFromProcCgroup, findLayout, layoutFromMounts, locateContainer, type CgroupLayout } from './layout.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const V1_ID = '02237c865471559d82fa7807e6dca5ffab0c7bb9e11ae9e616bebd22476553fb';
const V2_SYSTEMD_ID = '3f3acee31705a7af33286fe44f37d5b6405956c87a363116ce277a5ba19f14e4';
const V2_CGROUPFS_ID = '67bd92af4c3681b0e3a75c20bab1d6da4f6aea60f59f68b82def401dd7481e0c';

function mounts(text: string) {
  const r = parseMountinfo(text);
  assert.ok(r.ok);
  return r.value;
}

describe('layoutFromMounts', () => {
  test('v1 with cpu and cpuacct mounted together, as most distributions do', () => {
    const r = layoutFromMounts(
      mounts(
        '25 24 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755\n' +
          '33 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:13 - cgroup cgroup rw,cpu,cpuacct\n' +
          '34 25 0:29 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory\n' +
          '35 25 0:30 / /sys/fs/cgroup/blkio rw,nosuid shared:15 - cgroup cgroup rw,blkio\n' +
          '36 25 0:31 / /sys/fs/cgroup/pids rw,nosuid shared:16 - cgroup cgroup rw,pids\n' +
          '26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:5 - cgroup2 cgroup2 rw,nsdelegate\n',
      ),
      '/',
      '/proc',
    );
    assert.deepEqual(r, {
      ok: true,
      value: {
        version: 1,
        procRoot: '/proc',
        driver: undefined,
        cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
        memory: '/sys/fs/cgroup/memory',
        blkio: '/sys/fs/cgroup/blkio',
        pids: '/sys/fs/cgroup/pids',
      },
    });
  });

  test('v2 unified, mount points taken under hostRoot', () => {
    const r = layoutFromMounts(mounts('30 22 0:26 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw,nsdelegate\n'), '/host', '/host/proc');
    assert.deepEqual(r, { ok: true, value: { version: 2, procRoot: '/host/proc', driver: undefined, root: '/host/sys/fs/cgroup' } });
  });

  test('v1 without pids and blkio (an old kernel): those stay undefined', () => {
    const r = layoutFromMounts(
      mounts('1 0 0:1 / /c/cpuacct rw - cgroup cgroup rw,cpuacct\n2 0 0:2 / /c/memory rw - cgroup cgroup rw,memory\n'),
      '/',
      '/proc',
    );
    assert.ok(r.ok && r.value.version === 1);
    assert.equal(r.value.blkio, undefined);
    assert.equal(r.value.pids, undefined);
  });

  const errors: [string, string, RegExp][] = [
    ['no cgroup mounts', '27 1 254:0 / / rw - ext4 /dev/vda rw\n', /no cgroup filesystem/],
    [
      'v2 seen through a cgroup namespace bind (a subtree)',
      '900 800 0:26 /docker/abc /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n',
      /only the subtree \/docker\/abc/,
    ],
    [
      'v1 inside a container: its own subtree of each hierarchy',
      '1 0 0:1 /docker/abc /sys/fs/cgroup/cpuacct ro - cgroup cgroup rw,cpuacct\n2 0 0:2 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n',
      /cgroup namespace/,
    ],
  ];
  for (const [name, text, want] of errors) {
    test(`error: ${name}`, () => {
      const r = layoutFromMounts(mounts(text), '/', '/proc');
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, want);
    });
  }
});

describe('findLayout on the fixture trees (host mountinfo under hostRoot)', () => {
  test('v1 cgroupfs, captured', () => {
    const root = join(FIXTURES, 'v1-cgroupfs');
    const r = findLayout({ hostRoot: root });
    assert.ok(r.ok && r.value.version === 1);
    assert.equal(r.value.memory, join(root, 'sys/fs/cgroup/memory'));
    assert.equal(r.value.cpuacct, join(root, 'sys/fs/cgroup/cpuacct'));
    assert.equal(r.value.procRoot, join(root, 'proc'));
  });
  for (const name of ['v2-systemd', 'v2-cgroupfs']) {
    test(name, () => {
      const root = join(FIXTURES, name);
      assert.deepEqual(findLayout({ hostRoot: root }), {
        ok: true,
        value: { version: 2, procRoot: join(root, 'proc'), driver: undefined, root: join(root, 'sys/fs/cgroup') },
      });
    });
  }
  test('cgroupRoot given: the tree is looked at, not mountinfo', () => {
    const root = join(FIXTURES, 'v2-systemd');
    const r = findLayout({ cgroupRoot: join(root, 'sys/fs/cgroup'), procRoot: join(root, 'proc') });
    assert.ok(r.ok);
    assert.equal(r.value.version, 2);
  });
  test('an unreadable mountinfo says which file', () => {
    const r = findLayout({ procRoot: '/nonexistent/proc' });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, /\/nonexistent\/proc\/self\/mountinfo/);
  });
});

describe('locateContainer', () => {
  const cases: [string, string, string][] = [
    ['v1 cgroupfs: docker/<id> in each hierarchy', 'v1-cgroupfs', V1_ID],
    ['v2 systemd: system.slice/docker-<id>.scope', 'v2-systemd', V2_SYSTEMD_ID],
    ['v2 cgroupfs: docker/<id>', 'v2-cgroupfs', V2_CGROUPFS_ID],
  ];
  for (const [name, fixture, id] of cases) {
    test(name, () => {
      const layout = findLayout({ hostRoot: join(FIXTURES, fixture) });
      assert.ok(layout.ok);
      const dirs = locateContainer(layout.value, id);
      assert.ok(dirs, 'found');
      assert.ok(dirs.memory.includes(id));
      assert.equal(locateContainer(layout.value, 'f'.repeat(64)), undefined);
    });
  }

  test('a --cgroup-parent is found through /proc/<pid>/cgroup', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'dpcg-layout-'));
    try {
      cpSync(join(FIXTURES, 'v2-cgroupfs'), tmp, { recursive: true });
      const cg = join(tmp, 'sys/fs/cgroup');
      mkdirSync(join(cg, 'ci.slice'));
      renameSync(join(cg, 'docker', V2_CGROUPFS_ID), join(cg, 'ci.slice', V2_CGROUPFS_ID));
      writeFileSync(join(tmp, 'proc/4242/cgroup'), `0::/ci.slice/${V2_CGROUPFS_ID}\n`);
      const layout = findLayout({ hostRoot: tmp });
      assert.ok(layout.ok);
      assert.equal(locateContainer(layout.value, V2_CGROUPFS_ID), undefined, 'not at the usual places');
      assert.equal(locateContainer(layout.value, V2_CGROUPFS_ID, 4242)?.cpu, join(cg, 'ci.slice', V2_CGROUPFS_ID));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('dirsFromProcCgroup', () => {
  const v1: CgroupLayout = {
    version: 1,
    procRoot: '/proc',
    driver: undefined,
    cpuacct: '/c/cpu,cpuacct',
    memory: '/c/memory',
    blkio: '/c/blkio',
    pids: undefined,
  };
  const v2: CgroupLayout = { version: 2, procRoot: '/proc', driver: undefined, root: '/c' };
  test('v1: each controller its own path; no pids hierarchy, no pids dir', () => {
    const dirs = dirsFromProcCgroup(v1, [
      { controllers: ['cpu', 'cpuacct'], path: '/x/a' },
      { controllers: ['memory'], path: '/x/a' },
      { controllers: ['blkio'], path: '/x/a' },
      { controllers: ['pids'], path: '/x/a' },
    ]);
    assert.deepEqual(dirs, { cpu: '/c/cpu,cpuacct/x/a', memory: '/c/memory/x/a', io: '/c/blkio/x/a', pids: undefined });
  });
  test('v2: the 0:: line', () => {
    assert.deepEqual(
      dirsFromProcCgroup(v2, [{ controllers: [], path: '/system.slice/x.scope' }]),
      containerDirsAt(v2, '/system.slice/x.scope'),
    );
  });
  test('a path relative to our own cgroup namespace is not used', () => {
    assert.equal(dirsFromProcCgroup(v2, [{ controllers: [], path: '/../../system.slice/x.scope' }]), undefined);
  });
});
