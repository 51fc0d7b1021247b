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

/**
 * Reads the engine's address as the Docker CLI does, from `DOCKER_HOST` (`unix://`, `tcp://`, `ssh://`),
 * with TLS when `DOCKER_TLS_VERIFY` is set, using `ca.pem`, `cert.pem` and `key.pem` from
 * `DOCKER_CERT_PATH` (default `~/.docker`).
 */
export function engineOptions(env: NodeJS.ProcessEnv): Result<{ endpoint: string; options: Docker.DockerOptions }, string> {
  const endpoint = env['DOCKER_HOST'] || DEFAULT_HOST;
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length);
    if (!socketPath) return err(`DOCKER_HOST "${endpoint}" names no socket`);
    return ok({ endpoint, options: { socketPath } });
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return err(`DOCKER_HOST "${endpoint}" is not an address like unix:///var/run/docker.sock or tcp://host:2376`);
  }
  if (url.protocol === 'ssh:') {
    return ok({
      endpoint,
      options: { protocol: 'ssh', host: url.hostname, port: url.port ? Number(url.port) : 22, username: url.username || undefined },
    });
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') {
    return err(`DOCKER_HOST "${endpoint}": unsupported scheme ${url.protocol}`);
  }
  const tls =
    url.protocol === 'https:' ||
    (env['DOCKER_TLS_VERIFY'] !== undefined && env['DOCKER_TLS_VERIFY'] !== '' && env['DOCKER_TLS_VERIFY'] !== '0');
  const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
  if (!tls) return ok({ endpoint, options: { protocol: 'http', host: url.hostname, port } });
  const certs = env['DOCKER_CERT_PATH'] || join(env['HOME'] ?? '', '.docker');
  try {
    return ok({
      endpoint,
      options: {
        protocol: 'https',
        host: url.hostname,
        port,
        ca: readFileSync(join(certs, 'ca.pem')),
        cert: readFileSync(join(certs, 'cert.pem')),
        key: readFileSync(join(certs, 'key.pem')),
      },
    });
  } catch (e) {
    return err(`cannot read the TLS certificates in ${certs}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Connects to the engine `env` names (the process environment by default). */
export function connectEngine(env: NodeJS.ProcessEnv = process.env): Result<Engine, string> {
  const opts = engineOptions(env);
  if (!opts.ok) return opts;
  return ok({ docker: new Docker(opts.value.options), endpoint: opts.value.endpoint });
}
