import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64url, feedProtocols, tokenProtocol } from './token-protocol.js';

test('base64url matches Node for ASCII, UTF-8 and the padding cases', () => {
  for (const s of ['', 'a', 'ab', 'abc', 'dps1.eyJzaWQiOiJ4In0.c2ln', 'sécret-ü-€-🐳', '>>>???']) {
    assert.equal(base64url(s), Buffer.from(s, 'utf8').toString('base64url'), s);
  }
});

test('the token entry is a valid subprotocol token (no characters a WebSocket constructor rejects)', () => {
  const entry = tokenProtocol('a token with spaces / and + signs');
  assert.match(entry, /^dockpulse\.token\.[A-Za-z0-9_-]+$/);
  assert.deepEqual(feedProtocols(undefined), ['dockpulse.v1']);
  assert.deepEqual(feedProtocols(''), ['dockpulse.v1']);
  assert.deepEqual(feedProtocols('x'), ['dockpulse.v1', 'dockpulse.token.eA']);
});
