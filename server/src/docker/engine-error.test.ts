import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEngineError } from './engine-error.js';

/** An error as Node gives it for a failed request: a message and, often, a code. */
function failure(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

test('engine errors keep their message and gain a hint at the usual cause', () => {
  const cases: [Error, string | undefined, RegExp][] = [
    [
      failure('connect ECONNREFUSED /var/run/docker.sock', 'ECONNREFUSED'),
      undefined,
      /\(is the Docker engine running\? is DOCKER_HOST right\?\)$/,
    ],
    [failure('connect ECONNREFUSED 10.0.0.5:2376', 'ECONNREFUSED'), 'DOCKPULSE_ENGINES', /is DOCKPULSE_ENGINES right\?\)$/],
    [
      failure('connect EACCES /var/run/docker.sock', 'EACCES'),
      undefined,
      /permission denied: run as root or add the user to the docker group/,
    ],
    [
      failure('unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      'DOCKPULSE_ENGINES',
      /^unable to verify the first certificate \(the engine's TLS certificate could not be verified: is its ca\.pem/,
    ],
    [failure('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), undefined, /certificate could not be verified/],
    [
      failure("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'),
      undefined,
      /certificate could not be verified/,
    ],
    [
      failure('C0:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate', 'EPROTO'),
      undefined,
      /engine refused this client's certificate/,
    ],
    [
      failure('C0:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca', 'EPROTO'),
      undefined,
      /engine refused this client's certificate/,
    ],
    [
      failure('write EPROTO C0:error:0A00010B:SSL routines:ssl3_get_record:wrong version number', 'EPROTO'),
      undefined,
      /does the engine listen with TLS/,
    ],
    [failure('(HTTP code 500) server error - boom'), undefined, /^\(HTTP code 500\) server error - boom$/],
  ];
  for (const [error, setting, want] of cases) assert.match(describeEngineError(error, setting), want, error.message);
  assert.equal(describeEngineError('plain text'), 'plain text');
});
