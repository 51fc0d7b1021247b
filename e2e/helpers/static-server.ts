/** A tiny HTTP server of fixed files, standing for a third-party site on another origin than the gateway's. */
import { createServer } from 'node:http';
import { once } from 'node:events';

export interface StaticFile {
  type: string;
  body: string;
}

export interface RunningStaticServer {
  /** `http://127.0.0.1:<port>`, the site's origin. */
  url: string;
  close(): Promise<void>;
}

/** Serves `files` (by path, e.g. `/embed.html`) on 127.0.0.1:`port`; anything else is 404. */
export async function startStaticServer(port: number, files: Record<string, StaticFile>): Promise<RunningStaticServer> {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://x').pathname];
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-store' }).end(file.body);
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
