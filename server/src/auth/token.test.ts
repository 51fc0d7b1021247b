import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerToken, normalizeTokenProtocol, subprotocolToken, tokenMatches } from './token.js';

const TOKEN = 'x'.repeat(32);
const UNPADDED = Buffer.from(TOKEN).toString('base64url');

test('bearerToken', () => {
  const cases: [string | undefined, string | undefined][] = [
    [`Bearer ${TOKEN}`, TOKEN],
    [`bearer   ${TOKEN}  `, TOKEN],
    ['Bearer', undefined],
    [`Basic ${TOKEN}`, undefined],
    [`Bearer a b`, undefined],
    [undefined, undefined],
  ];
  for (const [header, want] of cases) assert.equal(bearerToken(header), want, String(header));
});

test('subprotocolToken: base64url, with or without the padding encoders add, or in the standard alphabet', () => {
  const utf8 = 'sécret-🐳?>';
  const cases: [what: string, protocols: string[], want: string | undefined][] = [
    ['unpadded, as browsers send it', ['dockpulse.v1', `dockpulse.token.${UNPADDED}`], TOKEN],
    ['padded, as Python and Java encode by default', ['dockpulse.v1', `dockpulse.token.${UNPADDED}=`], TOKEN],
    ['two padding characters', [`dockpulse.token.${Buffer.from('ab').toString('base64')}`], 'ab'],
    ['UTF-8, base64url', [`dockpulse.token.${Buffer.from(utf8).toString('base64url')}`], utf8],
    ['UTF-8, standard base64 with + and /', [`dockpulse.token.${Buffer.from(utf8).toString('base64')}`], utf8],
    ['no token entry', ['dockpulse.v1'], undefined],
    ['too much padding', [`dockpulse.token.${UNPADDED}===`], undefined],
    ['padding inside', [`dockpulse.token.ab=cd`], undefined],
    ['not base64', ['dockpulse.token.a.b'], undefined],
    ['empty', ['dockpulse.token.'], undefined],
  ];
  for (const [what, protocols, want] of cases) assert.equal(subprotocolToken(protocols), want, what);
});

test('normalizeTokenProtocol: the token entry as a valid subprotocol token, the rest of the header as it was', () => {
  const padded = Buffer.from('ab').toString('base64');
  const cases: [string, string][] = [
    [`dockpulse.v1, dockpulse.token.${padded}`, `dockpulse.v1, dockpulse.token.YWI`],
    [`dockpulse.token.${UNPADDED}=,dockpulse.v1`, `dockpulse.token.${UNPADDED}, dockpulse.v1`],
    ['dockpulse.token.ab+/cd==', 'dockpulse.token.ab-_cd'],
    // Nothing to mend: returned as it came, whatever it holds.
    [`dockpulse.v1, dockpulse.token.${UNPADDED}`, `dockpulse.v1, dockpulse.token.${UNPADDED}`],
    ['dockpulse.v1,,  other/1', 'dockpulse.v1,,  other/1'],
    ['dockpulse.token.a=b', 'dockpulse.token.a=b'],
  ];
  for (const [header, want] of cases) assert.equal(normalizeTokenProtocol(header), want, header);
});

test('tokenMatches', () => {
  assert.equal(tokenMatches(TOKEN, TOKEN), true);
  assert.equal(tokenMatches(`${TOKEN}x`, TOKEN), false);
  assert.equal(tokenMatches('', TOKEN), false);
  assert.equal(tokenMatches(undefined, TOKEN), false);
});
