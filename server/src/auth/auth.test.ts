import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, subprotocolToken, tokenMatches } from './token.js';
import { loopbackHost, originAllowed } from './origin.js';

test('bearer tokens', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('bearer  abc '), 'abc');
  assert.equal(bearerToken('Basic abc'), undefined);
  assert.equal(bearerToken('Bearer'), undefined);
  assert.equal(bearerToken(undefined), undefined);
});

test('subprotocol tokens are base64url after the prefix', () => {
  const token = 'sécret/+token';
  const entry = `dockpulse.token.${Buffer.from(token).toString('base64url')}`;
  assert.equal(subprotocolToken(['dockpulse.v1', entry]), token);
  assert.equal(subprotocolToken(['dockpulse.v1']), undefined);
  assert.equal(subprotocolToken(['dockpulse.token.not base64!']), undefined);
});

test('token comparison', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abd', 'abc'), false);
  assert.equal(tokenMatches('abcd', 'abc'), false);
  assert.equal(tokenMatches(undefined, 'abc'), false);
});

test('origins: same host, configured, or none; everything else refused', () => {
  const cases: [string | undefined, string | undefined, string[], boolean][] = [
    [undefined, '127.0.0.1:8080', [], true],
    ['http://127.0.0.1:8080', '127.0.0.1:8080', [], true],
    ['http://LOCALHOST:8080', 'localhost:8080', [], true],
    ['http://evil.example', '127.0.0.1:8080', [], false],
    ['http://127.0.0.1:9999', '127.0.0.1:8080', [], false],
    ['https://ops.example', '127.0.0.1:8080', ['https://ops.example'], true],
    ['null', '127.0.0.1:8080', [], false],
    ['file://', '127.0.0.1:8080', [], false],
  ];
  for (const [origin, host, allowed, want] of cases) {
    assert.equal(originAllowed(origin, host, allowed), want, `${origin} on ${host}`);
  }
});

test('loopback hosts, for a gateway without a token (DNS rebinding)', () => {
  for (const h of ['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST', '[::1]:8080', '127.9.9.9']) assert.equal(loopbackHost(h), true, h);
  for (const h of ['evil.example:8080', 'evil.example', '127.0.0.1.evil.example', '', undefined, '10.0.0.1:8080']) {
    assert.equal(loopbackHost(h), false, String(h));
  }
  assert.equal(loopbackHost('dash.example:443', ['dash.example']), true);
});
