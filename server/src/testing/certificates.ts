/**
 * TLS certificates for tests, made with openssl the way the Docker documentation makes them for an engine's TCP
 * listener ("Protect the Docker daemon socket"): a CA, a server certificate it signs for the engine's names, and
 * a client certificate it signs for the gateway. The keys are P-256 rather than the documentation's 4096-bit RSA,
 * which takes seconds to make.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TLS_FILES } from '../docker/engine.js';

/** A CA's certificate and key files. */
export interface CertificateAuthority {
  cert: string;
  key: string;
}

/** A certificate and its key, as files. */
export interface CertificatePair {
  cert: string;
  key: string;
}

/** How long the certificates are valid: a test run is over long before. */
const DAYS = '2';

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, (error, _stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/** Makes a CA in `dir` (created if missing) as `<name>-ca.pem` and `<name>-ca-key.pem`. */
export async function makeCa(dir: string, name: string): Promise<CertificateAuthority> {
  await mkdir(dir, { recursive: true });
  const ca = { cert: join(dir, `${name}-ca.pem`), key: join(dir, `${name}-ca-key.pem`) };
  await openssl([
    'req',
    '-x509',
    ...KEY,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
    '-days',
    DAYS,
    '-subj',
    `/CN=${name} test CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return ca;
}

/**
 * Makes a certificate signed by `ca` in `dir` as `<name>-cert.pem` and `<name>-key.pem`: for a server with
 * `altNames` (`DNS:localhost`, `IP:127.0.0.1`), or for a client.
 */
export async function issueCertificate(
  ca: CertificateAuthority,
  dir: string,
  name: string,
  use: { server: string[] } | 'client',
): Promise<CertificatePair> {
  await mkdir(dir, { recursive: true });
  const pair = { cert: join(dir, `${name}-cert.pem`), key: join(dir, `${name}-key.pem`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(
    ext,
    use === 'client' ? 'extendedKeyUsage = clientAuth\n' : `subjectAltName = ${use.server.join(',')}\nextendedKeyUsage = serverAuth\n`,
  );
  await openssl(['req', '-new', ...KEY, '-keyout', pair.key, '-out', csr, '-subj', `/CN=${name}`]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    DAYS,
    '-extfile',
    ext,
    '-out',
    pair.cert,
  ]);
  await Promise.all([rm(csr), rm(ext)]);
  return pair;
}

/**
 * Writes a client's certificate folder in the `DOCKER_CERT_PATH` layout at `dir`: `ca.pem`, the CA it trusts
 * for the engine's certificate, and `cert.pem` with `key.pem`, a client certificate signed by `signer`
 * (the same CA unless told).
 */
export async function writeClientFolder(dir: string, trust: CertificateAuthority, signer: CertificateAuthority = trust): Promise<void> {
  await mkdir(dir, { recursive: true });
  const pair = await issueCertificate(signer, dir, 'client', 'client');
  await copyFile(trust.cert, join(dir, TLS_FILES.ca));
  await rename(pair.cert, join(dir, TLS_FILES.cert));
  await rename(pair.key, join(dir, TLS_FILES.key));
}
