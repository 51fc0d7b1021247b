import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { err, ok, type Result } from '@dockpulse/shared';

/** A Docker engine client and the endpoint it talks to, for messages that tell an operator what was tried. */
export interface Engine {
  docker: Docker;
  endpoint: string;
  /** The setting that names this engine, for hints in its errors; `DOCKER_HOST` when absent. */
  setting?: string;
}

const DEFAULT_HOST = 'unix:///var/run/docker.sock';

/** The files of a TLS certificate folder, in the layout of the Docker CLI's `DOCKER_CERT_PATH`. */
export const TLS_FILES = { ca: 'ca.pem', cert: 'cert.pem', key: 'key.pem' } as const;

/** How the engine client is built: the endpoint as given, and dockerode's options. */
export interface EngineOptions {
  endpoint: string;
  options: Docker.DockerOptions;
}

/**
 * Turns an engine's address into dockerode's options: `unix:///path`, `ssh://[user@]host[:port]`, or
 * `tcp://`, `http://` or `https://host[:port]`. Over TCP, TLS is used when `certDir` is given: the engine's
 * certificate is verified against `<certDir>/ca.pem`, and `cert.pem` with `key.pem` are presented as the
 * client's (the Docker CLI's `DOCKER_CERT_PATH` layout). `https://` needs `certDir`; the others ignore it.
 * Errors name the address or the files, for the caller to prefix with the setting they came from.
 */
export function endpointOptions(endpoint: string, certDir: string | undefined): Result<EngineOptions, string> {
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length);
    if (!socketPath) return err(`"${endpoint}" names no socket`);
    return ok({ endpoint, options: { socketPath } });
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return err(`"${endpoint}" is not an address like unix:///var/run/docker.sock or tcp://host:2376`);
  }
  if (url.protocol === 'ssh:') {
    return ok({
      endpoint,
      options: { protocol: 'ssh', host: url.hostname, port: url.port ? Number(url.port) : 22, username: url.username || undefined },
    });
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    return err(`"${endpoint}": unsupported scheme ${url.protocol}`);
  }
  if (url.protocol === 'https:' && certDir === undefined) return err(`"${endpoint}": https needs a certificate folder`);
  const tls = certDir !== undefined;
  const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
  if (!tls) return ok({ endpoint, options: { protocol: 'http', host: url.hostname, port } });
  const files = readTlsFiles(certDir);
  if (!files.ok) return err(`"${endpoint}": ${files.error}`);
  return ok({ endpoint, options: { protocol: 'https', host: url.hostname, port, ...files.value } });
}

/** Reads `ca.pem`, `cert.pem` and `key.pem` from `dir`; the error names every file that could not be read. */
function readTlsFiles(dir: string): Result<{ ca: Buffer; cert: Buffer; key: Buffer }, string> {
  const problems: string[] = [];
  const read = (name: string): Buffer => {
    const path = join(dir, name);
    try {
      return readFileSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(code === 'ENOENT' ? `${path} is missing` : `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
      return Buffer.alloc(0);
    }
  };
  const files = { ca: read(TLS_FILES.ca), cert: read(TLS_FILES.cert), key: read(TLS_FILES.key) };
  if (problems.length > 0) return err(`TLS needs ${TLS_FILES.ca}, ${TLS_FILES.cert} and ${TLS_FILES.key}: ${problems.join('; ')}`);
  return ok(files);
}

/**
 * Reads the engine's address as the Docker CLI does, from `DOCKER_HOST` (`unix://`, `tcp://`, `ssh://`),
 * with TLS when `DOCKER_TLS_VERIFY` is set (or the scheme is `https://`), using `ca.pem`, `cert.pem` and
 * `key.pem` from `DOCKER_CERT_PATH` (default `~/.docker`).
 */
export function dockerHostAddress(env: NodeJS.ProcessEnv): { endpoint: string; certDir: string | undefined } {
  const endpoint = env['DOCKER_HOST'] || DEFAULT_HOST;
  const verify = env['DOCKER_TLS_VERIFY'] !== undefined && env['DOCKER_TLS_VERIFY'] !== '' && env['DOCKER_TLS_VERIFY'] !== '0';
  const tls = /^(tcp|http|https):/.test(endpoint) && (verify || endpoint.startsWith('https:'));
  return { endpoint, certDir: tls ? env['DOCKER_CERT_PATH'] || join(env['HOME'] ?? '', '.docker') : undefined };
}

/** dockerode's options for the engine `env` names, as `dockerHostAddress` reads it. */
export function engineOptions(env: NodeJS.ProcessEnv): Result<EngineOptions, string> {
  const { endpoint, certDir } = dockerHostAddress(env);
  const opts = endpointOptions(endpoint, certDir);
  return opts.ok ? opts : err(`DOCKER_HOST ${opts.error}`);
}

/**
 * A client for the engine at `endpoint`, with TLS from `certDir` as `endpointOptions` reads them; `setting`
 * names where the address came from, for the hints in the engine's errors.
 */
export function connectEndpoint(endpoint: string, certDir: string | undefined, setting: string): Result<Engine, string> {
  const opts = endpointOptions(endpoint, certDir);
  if (!opts.ok) return opts;
  return ok({ docker: new Docker(opts.value.options), endpoint: opts.value.endpoint, setting });
}

/** Connects to the engine `env` names (the process environment by default). */
export function connectEngine(env: NodeJS.ProcessEnv = process.env): Result<Engine, string> {
  const { endpoint, certDir } = dockerHostAddress(env);
  const engine = connectEndpoint(endpoint, certDir, 'DOCKER_HOST');
  return engine.ok ? engine : err(`DOCKER_HOST ${engine.error}`);
}
