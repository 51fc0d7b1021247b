import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { detectCgroupAccess } from './detect.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const LOCAL = 'unix:///var/run/docker.sock';
const V1 = { root: join(FIXTURES, 'v1-cgroupfs'), id: '02237c865471559d82fa7807e6dca5ffab0c7bb9e11ae9e616bebd22476553fb', pid: 5348 };
const V2S = { root: join(FIXTURES, 'v2-systemd'), id: '3f3acee31705a7af33286fe44f37d5b6405956c87a363116ce277a5ba19f14e4', pid: 31337 };
const PODMAN_V1 = {
  root: join(FIXTURES, 'v1-podman-cgroupfs'),
  id: 'b5c4efbce61cdc44e37df32acea6daecce7267831b9865291a21bd73808f33f6',
  pid: 4450,
};
const PODMAN_V2S = {
  root: join(FIXTURES, 'v2-podman-systemd'),
  id: '3b6c12c1d56a1d6e539e559e052af497cab59204c89caea1be5f71a450a2a1cb',
  pid: 31337,
};
const PODMAN_V2C = {
  root: join(FIXTURES, 'v2-podman-cgroupfs'),
  id: '75c93558fab2cecfce6ffcdc80be546bc05a52fef16f196c1b69a3f947da99cf',
  pid: 4242,
};
const V2C = { root: join(FIXTURES, 'v2-cgroupfs'), id: '67bd92af4c3681b0e3a75c20bab1d6da4f6aea60f59f68b82def401dd7481e0c', pid: 4242 };

function reason(r: ReturnType<typeof detectCgroupAccess>): string {
  assert.equal(r.ok, false, 'expected a reason');
  return r.ok ? '' : r.error;
}

describe('detectCgroupAccess: the endpoint alone rules the cgroup source out', () => {
  const cases: [string, RegExp][] = [
    ['tcp://10.0.0.5:2376', /remote/],
    ['ssh://ops@build-host', /remote/],
    ['https://docker.example.com', /remote/],
    ['unix:///run/user/1000/podman/podman.sock', /rootless/],
    ['unix:///run/user/1000/docker.sock', /rootless/],
    ['unix:///home/ann/.docker/desktop/docker.sock', /Docker Desktop/],
  ];
  for (const [endpoint, want] of cases) {
    test(endpoint, () =>
      assert.match(reason(detectCgroupAccess({ endpoint, hostRoot: V1.root, running: [{ id: V1.id, pid: V1.pid }] })), want),
    );
  }
});

describe('detectCgroupAccess on the fixture trees', () => {
  const cases: [string, typeof V1, 1 | 2, 'cgroupfs' | 'systemd'][] = [
    ['v1 cgroupfs', V1, 1, 'cgroupfs'],
    ['v2 systemd', V2S, 2, 'systemd'],
    ['v2 cgroupfs', V2C, 2, 'cgroupfs'],
  ];
  for (const [name, f, version, driver] of cases) {
    test(`${name}: a running container proves the layout and names the driver`, () => {
      const r = detectCgroupAccess({ endpoint: LOCAL, hostRoot: f.root, running: [{ id: f.id, pid: f.pid }] });
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.equal(r.value.version, version);
      assert.equal(r.value.driver, driver);
    });
  }

  test("without the engine's pid, a pid from cgroup.procs does", () => {
    const r = detectCgroupAccess({ endpoint: LOCAL, hostRoot: V2S.root, running: [{ id: V2S.id, pid: undefined }] });
    assert.ok(r.ok);
  });

  test('no running container: no proof', () => {
    assert.match(reason(detectCgroupAccess({ endpoint: LOCAL, hostRoot: V2S.root, running: [] })), /no running container/);
  });

  test('containers whose cgroups are elsewhere (rootless, VM, custom parent)', () => {
    const r = detectCgroupAccess({ endpoint: LOCAL, hostRoot: V2S.root, running: [{ id: 'e'.repeat(64), pid: 1 }] });
    assert.match(reason(r), /no running container's cgroup is under/);
  });

  test("a /proc that is not the host's: the container's pid is not in it", () => {
    const r = detectCgroupAccess({
      endpoint: LOCAL,
      hostRoot: V2S.root,
      procRoot: join(V2C.root, 'proc'),
      running: [{ id: V2S.id, pid: V2S.pid }],
    });
    assert.match(reason(r), /is not the host's \/proc/);
  });

  test('a cgroupRoot and procRoot given directly, as for a gateway in a container', () => {
    const r = detectCgroupAccess({
      endpoint: LOCAL,
      cgroupRoot: join(V1.root, 'sys/fs/cgroup'),
      procRoot: join(V1.root, 'proc'),
      running: [{ id: V1.id, pid: V1.pid }],
    });
    assert.ok(r.ok, r.ok ? '' : r.error);
    assert.equal(r.value.version, 1);
  });
});

describe("detectCgroupAccess on Podman's fixture trees", () => {
  const cases: [string, typeof V1, 1 | 2, 'cgroupfs' | 'systemd'][] = [
    ['v1 cgroupfs (captured)', PODMAN_V1, 1, 'cgroupfs'],
    ['v2 systemd, crun', PODMAN_V2S, 2, 'systemd'],
    ['v2 cgroupfs', PODMAN_V2C, 2, 'cgroupfs'],
  ];
  for (const [name, f, version, driver] of cases) {
    test(`${name}: found where Podman puts it, with the engine's pid or without`, () => {
      for (const pid of [f.pid, undefined]) {
        const r = detectCgroupAccess({
          endpoint: 'unix:///run/podman/podman.sock',
          engine: 'podman',
          hostRoot: f.root,
          running: [{ id: f.id, pid }],
        });
        assert.ok(r.ok, r.ok ? '' : r.error);
        assert.equal(r.value.version, version);
        assert.equal(r.value.driver, driver);
        assert.equal(r.value.engine, 'podman');
      }
    });
  }

  test("looked for as Docker's, a Podman container is not found, and the reason names Docker's paths", () => {
    const r = detectCgroupAccess({ endpoint: LOCAL, hostRoot: PODMAN_V1.root, running: [{ id: PODMAN_V1.id, pid: PODMAN_V1.pid }] });
    assert.match(reason(r), /docker\/<id>/);
    const p = detectCgroupAccess({ endpoint: LOCAL, engine: 'podman', hostRoot: V1.root, running: [{ id: V1.id, pid: V1.pid }] });
    assert.match(reason(p), /libpod_parent\/libpod-<id> and machine.slice\/libpod-<id>.scope/);
  });
});
