/**
 * What an operator reads when an engine does not answer: the error as Node or the engine gave it, and a hint at
 * the usual cause.
 */

/** Node's codes for an engine certificate that does not verify against the CA the client trusts. */
const UNVERIFIED_CERTIFICATE: ReadonlySet<string> = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * The message of an error from an engine request, with a hint at its usual cause. `setting` names where the
 * engine's address came from (`DOCKER_HOST`, `DOCKPULSE_ENGINES`).
 */
export function describeEngineError(e: unknown, setting = 'DOCKER_HOST'): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  if (code !== undefined && UNVERIFIED_CERTIFICATE.has(code)) {
    return `${message} (the engine's TLS certificate could not be verified: is its ca.pem the CA that signed the engine's certificate?)`;
  }
  if (/alert (bad certificate|unknown ca|certificate required|certificate unknown)/i.test(message)) {
    return `${message} (the engine refused this client's certificate: is cert.pem signed by a CA the engine trusts?)`;
  }
  if (/wrong version number|packet length too long/i.test(message)) return `${message} (does the engine listen with TLS on this port?)`;
  if (/EACCES/.test(message)) return `${message} (permission denied: run as root or add the user to the docker group)`;
  if (/ENOENT|ECONNREFUSED/.test(message)) return `${message} (is the Docker engine running? is ${setting} right?)`;
  return message;
}
