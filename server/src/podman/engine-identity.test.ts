import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parsePodmanInfo, podmanVersionOf } from './engine-identity.js';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as unknown;
}

test("Podman names itself among the components of its /version answer; Docker's does not", () => {
  assert.equal(podmanVersionOf(fixture('version.json')), '4.3.1');
  const docker = { Components: [{ Name: 'Engine', Version: '20.10.24' }, { Name: 'containerd' }], Version: '20.10.24' };
  assert.equal(podmanVersionOf(docker), undefined);
  assert.equal(podmanVersionOf({}), undefined);
  assert.equal(podmanVersionOf('podman'), undefined);
});

test('libpod info: rootless and the cgroup controllers', () => {
  const r = parsePodmanInfo(fixture('info-rootful-v1.json'), '4.3.1');
  assert.deepEqual(r, {
    ok: true,
    value: {
      kind: 'podman',
      version: '4.3.1',
      rootless: false,
      controllers: ['cpuset', 'cpu', 'cpuacct', 'blkio', 'memory', 'devices', 'freezer', 'pids'],
    },
  });
  const rootless = parsePodmanInfo(fixture('info-rootless-v2.json'), '4.3.1');
  assert.ok(rootless.ok);
  assert.equal(rootless.value.rootless, true);
  assert.deepEqual(rootless.value.controllers, ['memory', 'pids']);
});

test('libpod info without its security section, or with controllers that are not names, is read carefully', () => {
  assert.equal(parsePodmanInfo({ host: {} }, '4').ok, false);
  assert.equal(parsePodmanInfo(null, '4').ok, false);
  const odd = parsePodmanInfo({ host: { security: { rootless: false }, cgroupControllers: [1, 2] } }, '4');
  assert.ok(odd.ok);
  assert.equal(odd.value.controllers, undefined);
});
