import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  // Type declarations: `dockpulse-client.d.ts`, and `.d.mts` beside the client's `.mjs`.
  '.ts': 'text/plain; charset=utf-8',
  '.mts': 'text/plain; charset=utf-8',
};

/**
 * Client-side routes whose last segment may hold dots (a share token, a container name like `web.1`): `/s/<token>`,
 * and `/c/` and `/embed/` with a container, or a host and a container.
 */
const APP_ROUTE = /^\/(?:s\/[^/]+|(?:c|embed)\/[^/]+(?:\/[^/]+)?)\/?$/;

/** A file ready to send. */
export interface StaticFile {
  body: Buffer;
  type: string;
  /** Vite puts a content hash in the names of everything under assets/, so those never change. */
  immutable: boolean;
}

/**
 * Serves the built web app from `root`. A path without a file extension that names no file gets
 * `index.html`, so that client-side routes (`/c/<host>/<id>`) load the app; a missing file with an extension (an
 * asset of an older build) is not found, rather than HTML in its place. A path that escapes the root never
 * reaches the file system. Only content-hashed assets are cached in memory, so a rebuilt app is served at
 * once.
 */
export class StaticFiles {
  private readonly cache = new Map<string, StaticFile>();

  constructor(private readonly root: string) {}

  /** The file for a URL path, or undefined when the app is not built. */
  async get(pathname: string): Promise<StaticFile | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      decoded = '/';
    }
    if (decoded.includes('\0')) decoded = '/';
    // Source maps give out the sources, comments and all: a built app carries none, and none left beside it is served.
    if (extname(decoded).toLowerCase() === '.map') return undefined;
    const relative = normalize(decoded).replace(/^([/\\]|\.\.[/\\]?)+/, '');
    const candidate = join(this.root, relative);
    const inRoot = candidate === this.root || candidate.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep);
    const file = inRoot && relative !== '' ? await this.load(candidate) : undefined;
    if (file) return file;
    if (extname(relative) !== '' && !relative.endsWith('.html') && !APP_ROUTE.test(decoded)) return undefined;
    return this.load(join(this.root, 'index.html'));
  }

  private async load(path: string): Promise<StaticFile | undefined> {
    const hit = this.cache.get(path);
    if (hit) return hit;
    try {
      if (!(await stat(path)).isFile()) return undefined;
      const file: StaticFile = {
        body: await readFile(path),
        type: TYPES[extname(path)] ?? 'application/octet-stream',
        immutable: path.includes(`${sep}assets${sep}`),
      };
      if (file.immutable) this.cache.set(path, file);
      return file;
    } catch {
      return undefined;
    }
  }
}

/** Answers a `GET` or `HEAD` for a file of the web app, or says it is missing (or the app is not built). */
export async function serveStatic(files: StaticFiles | undefined, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const method = req.method ?? 'GET';
  const file = files ? await files.get(path) : undefined;
  if (!file) {
    const built = files !== undefined && (await files.get('/')) !== undefined;
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(built ? 'Not found\n' : 'The web app is not built: run `pnpm build` (or `pnpm start`, which builds it).\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': file.type,
    'Content-Length': file.body.length,
    'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(method === 'HEAD' ? undefined : file.body);
}
