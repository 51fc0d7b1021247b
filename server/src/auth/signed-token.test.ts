import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signSession, signShare, verifySession, verifyShare, type ShareClaims } from './signed-token.js';

const SECRET = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 8);
const CLAIMS: ShareClaims = { sid: 'abc', cid: 'f'.repeat(64), follow: true, name: 'web-1', exp: 2_000 };

test('a share token verifies with its secret until it expires', () => {
  const token = signShare(SECRET, CLAIMS);
  assert.deepEqual(verifyShare(SECRET, token, 1_000), { ok: true, value: CLAIMS });
  assert.deepEqual(verifyShare(SECRET, token, 2_000), { ok: false, error: 'expired' });
});

test('a token signed with another secret is refused', () => {
  assert.deepEqual(verifyShare(SECRET, signShare(OTHER, CLAIMS), 1_000), { ok: false, error: 'bad_signature' });
});

test('tampering with the claims breaks the signature', () => {
  const token = signShare(SECRET, CLAIMS);
  const [prefix, payload, sig] = token.split('.') as [string, string, string];
  const forged = Buffer.from(JSON.stringify({ ...CLAIMS, exp: 9_999_999 })).toString('base64url');
  assert.deepEqual(verifyShare(SECRET, `${prefix}.${forged}.${sig}`, 1_000), { ok: false, error: 'bad_signature' });
  const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
  assert.deepEqual(verifyShare(SECRET, `${prefix}.${payload}.${flipped}`, 1_000), { ok: false, error: 'bad_signature' });
  // The last character carries two spare bits; a second spelling of the same bytes is not accepted either.
  const respelled = sig.slice(0, -1) + String.fromCharCode(sig.charCodeAt(sig.length - 1) ^ 1);
  assert.equal(verifyShare(SECRET, `${prefix}.${payload}.${respelled}`, 1_000).ok, false);
});

test('malformed tokens', () => {
  for (const t of ['', 'dps1.', 'dps1.a', 'dps1.a.b.c', 'xyz.a.b', `dps1.${'a'.repeat(3000)}.b`, 'dps1.a b.c']) {
    assert.deepEqual(verifyShare(SECRET, t, 0), { ok: false, error: 'malformed' }, t);
  }
});

test('sessions are bound to the access token and expire', () => {
  const ref = { epoch: 'epoch-1', id: 'session-1', exp: 5_000 };
  const cookie = signSession(SECRET, 'token-one-0123456789', ref);
  assert.deepEqual(verifySession(SECRET, 'token-one-0123456789', cookie, 1_000), { ok: true, value: ref });
  assert.equal(verifySession(SECRET, 'token-two-0123456789', cookie, 1_000).ok, false, 'a new access token ends old sessions');
  assert.deepEqual(verifySession(SECRET, 'token-one-0123456789', cookie, 5_000), { ok: false, error: 'expired' });
  assert.deepEqual(verifySession(SECRET, 'token-one-0123456789', `9${cookie}`, 1_000), { ok: false, error: 'bad_signature' });
  const [epoch, , exp, mac] = cookie.split('.');
  assert.deepEqual(
    verifySession(SECRET, 'token-one-0123456789', `${epoch}.session-2.${exp}.${mac}`, 1_000),
    { ok: false, error: 'bad_signature' },
    'the id is signed: a logged-out session cannot be renamed',
  );
  assert.deepEqual(
    verifySession(SECRET, 'token-one-0123456789', `${exp}.${mac}`, 1_000),
    { ok: false, error: 'malformed' },
    'the old form',
  );
  assert.deepEqual(verifySession(SECRET, 'token-one-0123456789', 'nope', 1_000), { ok: false, error: 'malformed' });
});
