import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContainerList } from '../docker/container-list.js';
import type { StaticFiles } from './static-files.js';
import { bearerToken, tokenMatches } from '../auth/token.js';
import type { Logger } from '../log.js';

/** What the HTTP side needs. */
export interface HttpContext {
  containers: ContainerList;
  files: StaticFiles | undefined;
  token: string | undefined;
  /** Gauges for `/metrics`. */
  metrics: () => Record<string, number>;
  log: Logger;
}

/** Headers sent with every response. */
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/** Handles every plain HTTP request. */
export function createRequestHandler(ctx: HttpContext) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(ctx, req, res).catch((e: unknown) => {
      ctx.log.error('request failed', { path: req.url ?? '', error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) json(res, 500, { error: 'internal_error', message: 'internal error' });
      else res.destroy();
    });
  };
}

async function handle(ctx: HttpContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return json(res, 405, { error: 'method_not_allowed', message: 'this endpoint only answers GET' });
  }
  const path = url.pathname;
  if (path === '/healthz') {
    return json(res, 200, { status: 'ok', docker: ctx.containers.engineStatus.status });
  }
  if (path.startsWith('/api/') || path === '/metrics') {
    if (ctx.token !== undefined && !tokenMatches(bearerToken(req.headers.authorization), ctx.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return json(res, 401, { error: 'unauthorized', message: 'send Authorization: Bearer <token>' });
    }
    if (path === '/api/containers') return json(res, 200, { containers: ctx.containers.all() });
    if (path === '/metrics') return metrics(res, ctx.metrics());
    return json(res, 404, { error: 'not_found', message: `no API endpoint ${path}` });
  }
  const file = ctx.files ? await ctx.files.get(path) : undefined;
  if (!file) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('The web app is not built: run `pnpm build` (or `pnpm start`, which builds it).\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': file.type,
    'Content-Length': file.body.length,
    'Cache-Control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(text);
}

function metrics(res: ServerResponse, values: Record<string, number>): void {
  const lines = Object.entries(values).map(([k, v]) => `dockpulse_${k} ${v}`);
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Cache-Control': 'no-store' });
  res.end(`${lines.join('\n')}\n`);
}
