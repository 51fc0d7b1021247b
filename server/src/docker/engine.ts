import Docker from 'dockerode';

/** A Docker engine client and the endpoint it talks to, for messages that tell an operator what was tried. */
export interface Engine {
  docker: Docker;
  endpoint: string;
}

/**
 * Connects as the Docker CLI would: `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH` are honoured
 * (dockerode's modem reads them), else the local unix socket.
 */
export function connectEngine(env: NodeJS.ProcessEnv = process.env): Engine {
  const endpoint = env['DOCKER_HOST'] || 'unix:///var/run/docker.sock';
  return { docker: new Docker(), endpoint };
}
