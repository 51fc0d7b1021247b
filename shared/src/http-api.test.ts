import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSessionInfo, parseShareInfo, parseShareList } from './http-api.js';

/** As the gateway sends it (server/src/http/shares-api.ts `shareView`). */
const SHARE = {
  id: 'Yk3QpXU2m1Ac',
  url: 'http://127.0.0.1:8080/s/dps1.eyJzaWQiOiJZazNRcFhVMm0xQWMifQ.c2ln',
  token: 'dps1.eyJzaWQiOiJZazNRcFhVMm0xQWMifQ.c2ln',
  container: { id: '3e204e838d5c49c859700a8ad980deb3c940a6448b5318004071f7288b09d331', name: 'web-1' },
  follow: true,
  createdAt: 1795789300000,
  expiresAt: 1795792900000,
};

test('parseSessionInfo', () => {
  assert.deepEqual(parseSessionInfo({ required: true, authenticated: false }), { required: true, authenticated: false });
  assert.equal(parseSessionInfo({ required: 'yes', authenticated: false }), undefined);
  assert.equal(parseSessionInfo(null), undefined);
});

test('parseShareInfo takes the gateway shape and refuses anything less', () => {
  assert.deepEqual(parseShareInfo({ ...SHARE, extra: 1 }), SHARE);
  for (const key of Object.keys(SHARE)) {
    const broken: Record<string, unknown> = { ...SHARE };
    delete broken[key];
    assert.equal(parseShareInfo(broken), undefined, `without ${key}`);
  }
  assert.equal(parseShareInfo({ ...SHARE, container: { id: 'x' } }), undefined);
  assert.equal(parseShareInfo({ ...SHARE, expiresAt: Number.NaN }), undefined);
});

test('parseShareList', () => {
  assert.deepEqual(parseShareList({ shares: [SHARE] }), [SHARE]);
  assert.deepEqual(parseShareList({ shares: [] }), []);
  assert.equal(parseShareList({ shares: [SHARE, { id: 1 }] }), undefined);
  assert.equal(parseShareList([SHARE]), undefined);
});
