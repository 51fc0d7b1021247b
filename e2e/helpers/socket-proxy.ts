/**
 * A unix socket that forwards to the real Docker socket, so a test can make the engine unreachable (nothing
 * listening yet) and then reachable again (the proxy starts), without touching the engine itself.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { rm } from 'node:fs/promises';

export interface SocketProxy {
  close(): Promise<void>;
}

export async function startSocketProxy(path: string, target = '/var/run/docker.sock'): Promise<SocketProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(target);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await rm(path, { force: true });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(path, () => ok());
  });
  return {
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((ok) => server.close(() => ok()));
      await rm(path, { force: true });
    },
  };
}
