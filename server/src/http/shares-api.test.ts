import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkBase } from './shares-api.js';

test('a link is built from the Host only when it is a host name and port; the public URL wins', () => {
  const cases: [host: string | undefined, proto: string | undefined, base: string | undefined][] = [
    ['127.0.0.1:8080', undefined, 'http://127.0.0.1:8080'],
    ['localhost', undefined, 'http://localhost'],
    ['Dockpulse.Example.com', 'https', 'https://dockpulse.example.com'],
    ['[::1]:8080', undefined, 'http://[::1]:8080'],
    ['gw-1.internal:443', 'http', 'http://gw-1.internal:443'],
    ['evil.example/#', undefined, undefined],
    ['evil.example#', undefined, undefined],
    ['evil.example?x', undefined, undefined],
    ['user@evil.example', undefined, undefined],
    ['evil.example\\@good', undefined, undefined],
    ['good.example:80@evil.example', undefined, undefined],
    ['good.example:99999', undefined, undefined],
    ['good.example:0', undefined, undefined],
    ['-bad.example', undefined, undefined],
    ['a..b', undefined, undefined],
    ['good example', undefined, undefined],
    ['[::1', undefined, undefined],
    ['', undefined, undefined],
    [undefined, undefined, undefined],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.example`, undefined, undefined],
  ];
  for (const [host, proto, base] of cases) {
    const got = linkBase(undefined, host, proto);
    if (base === undefined) {
      assert.ok(!got.ok, `Host ${JSON.stringify(host)} made ${got.ok ? got.value : ''}`);
      assert.equal(got.error.status, 400);
      assert.match(got.error.message, /DOCKPULSE_PUBLIC_URL/);
    } else {
      assert.deepEqual(got, { ok: true, value: base }, `Host ${JSON.stringify(host)}`);
    }
  }
  assert.deepEqual(linkBase('https://dockpulse.example', 'evil.example/#', undefined), { ok: true, value: 'https://dockpulse.example' });
});
