/**
 * Share tokens and session cookies against anything a client could present (fast-check): never an exception,
 * never accepted unless signed with the secret as given, a typed error otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { propertyRuns } from '../testing/property-runs.js';
import { SHARE_TOKEN_PREFIX, signSession, signShare, verifySession, verifyShare, type ShareClaims } from './signed-token.js';

fc.configureGlobal({ numRuns: propertyRuns() });

const SECRET = randomBytes(32);
const NOW = 1_800_000_000_000;
const ERRORS = new Set(['malformed', 'bad_signature', 'expired']);
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const claims: fc.Arbitrary<ShareClaims> = fc.record(
  {
    sid: fc.string({ minLength: 1, maxLength: 20 }),
    cid: fc.stringMatching(/^[0-9a-f]{64}$/),
    host: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    name: fc.string({ maxLength: 40 }),
    follow: fc.boolean(),
    exp: fc.integer({ min: NOW + 1, max: NOW + 1e10 }),
  },
  { requiredKeys: ['sid', 'cid', 'follow', 'exp'], noNullPrototype: true },
);

/** Strings near a token: its prefix, then anything, or base64url parts that were never signed with the secret. */
const tokenLike = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ maxLength: 300 }).map((s) => SHARE_TOKEN_PREFIX + s),
  fc
    .tuple(fc.jsonValue(), fc.uint8Array({ minLength: 0, maxLength: 40 }))
    .map(
      ([v, mac]) =>
        `${SHARE_TOKEN_PREFIX}${Buffer.from(JSON.stringify(v) ?? '').toString('base64url')}.${Buffer.from(mac).toString('base64url')}`,
    ),
  fc.string({ maxLength: 3000 }).map((s) => SHARE_TOKEN_PREFIX + s),
);

test('any string as a share token is refused with a typed error, never accepted, never thrown', () => {
  fc.assert(
    fc.property(tokenLike, (token) => {
      const r = verifyShare(SECRET, token, NOW);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(ERRORS.has(r.error), r.error);
    }),
  );
});

test('a signed token changed in any one character is refused', () => {
  fc.assert(
    fc.property(claims, fc.nat(), fc.constantFrom(...BASE64URL, '.', '=', '+', '/', ' ', 'é', '\u0000'), (c, at, ch) => {
      const token = signShare(SECRET, c);
      const i = at % token.length;
      const tampered = token.slice(0, i) + ch + token.slice(i + 1);
      fc.pre(tampered !== token);
      const r = verifyShare(SECRET, tampered, NOW);
      assert.equal(r.ok, false, `accepted with character ${i} changed to ${JSON.stringify(ch)}`);
      if (!r.ok) assert.ok(ERRORS.has(r.error));
    }),
  );
});

test('a token signed with another secret is refused; with ours, it gives back its claims', () => {
  fc.assert(
    fc.property(claims, (c) => {
      assert.deepEqual(verifyShare(SECRET, signShare(randomBytes(32), c), NOW), { ok: false, error: 'bad_signature' });
      assert.deepEqual(verifyShare(SECRET, signShare(SECRET, c), NOW), { ok: true, value: c });
    }),
  );
});

test('any string as a session cookie is refused with a typed error; a tampered one too', () => {
  const cookie = signSession(SECRET, 'access-token-0123456789', { epoch: 'e0123456789', id: 's0123456789', exp: NOW + 3_600_000 });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.tuple(fc.nat(), fc.constantFrom(...BASE64URL, '.', '9')).map(([at, ch]) => {
          const i = at % cookie.length;
          return cookie.slice(0, i) + ch + cookie.slice(i + 1);
        }),
      ),
      (text) => {
        fc.pre(text !== cookie);
        const r = verifySession(SECRET, 'access-token-0123456789', text, NOW);
        assert.equal(r.ok, false);
        if (!r.ok) assert.ok(ERRORS.has(r.error));
      },
    ),
  );
});
