import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeApiError, parseErrorBody } from './api-types.js';

test('errors read as sentences', () => {
  assert.deepEqual(parseErrorBody(401, { error: 'unauthorized', message: 'wrong token' }), {
    kind: 'http',
    status: 401,
    code: 'unauthorized',
    message: 'wrong token',
  });
  assert.equal(describeApiError(parseErrorBody(401, { error: 'unauthorized', message: 'wrong token' })), 'Wrong token.');
  assert.equal(describeApiError(parseErrorBody(502, 'Bad gateway')), 'The gateway answered 502.');
  assert.equal(describeApiError({ kind: 'network', message: 'x' }), 'Cannot reach the dockpulse gateway.');
});
