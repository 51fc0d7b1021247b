import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContainerDirectory } from '../docker/container-list.js';
import type { StaticFiles } from './static-files.js';
import { bearerToken } from '../auth/token.js';
import { loopbackHost, originAllowed } from '../auth/origin.js';
import { readCookie, sessionCookie } from '../auth/cookies.js';
import { SESSION_COOKIE, type Authenticator } from '../auth/authenticate.js';
import type { ShareStore } from '../auth/share-store.js';
import { readJsonBody, type HttpError } from './body.js';
import { findContainer, parseShareRequest, shareView } from './shares-api.js';
import { TokenBucket } from '../transport/rate-limit.js';
import { isObject } from '@dockpulse/shared';
import type { Logger } from '../log.js';

/** What the HTTP side needs. */
export interface HttpContext {
  containers: ContainerDirectory;
  files: StaticFiles | undefined;
  auth: Authenticator;
  shares: ShareStore;
  /** Origins allowed besides the gateway's own. */
  origins: readonly string[];
  /** Who may frame the embeddable and shared views (CSP frame-ancestors sources). */
  frameAncestors: readonly string[];
  /** The gateway's public base URL, for share links; else taken from the request. */
  publicUrl: string | undefined;
  /** Host names besides loopback that requests may name when no access token is set. */
  trustedHosts: readonly string[];
  /** Gauges for `/metrics`. */
  metrics: () => Record<string, number>;
  log: Logger;
}

/** Largest request body accepted. */
const MAX_BODY_BYTES = 16 * 1024;

/** Login attempts per client address: a few a minute. */
const LOGIN_RATE = { perSecond: 1 / 6, burst: 10 } as const;
const MAX_TRACKED_ADDRESSES = 10_000;

/** Paths of views that other sites may frame. */
const FRAMEABLE = /^\/(embed|s)\//;

/** Handles every plain HTTP request. */
export function createRequestHandler(ctx: HttpContext) {
  const logins = new Map<string, TokenBucket>();
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(ctx, logins, req, res).catch((e: unknown) => {
      ctx.log.error('request failed', {
        path: new URL(req.url ?? '/', 'http://x').pathname,
        error: e instanceof Error ? e.message : String(e),
      });
      if (!res.headersSent) fail(res, { status: 500, code: 'internal_error', message: 'internal error' });
      else res.destroy();
    });
  };
}

async function handle(ctx: HttpContext, logins: Map<string, TokenBucket>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  securityHeaders(ctx, res, path);
  const origin = header(req, 'origin');
  const crossOrigin = origin !== undefined && ctx.origins.includes(origin);
  if (crossOrigin) {
    // Sites listed in DOCKPULSE_ORIGINS may call the API with a bearer token; cookies never cross sites.
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, DELETE',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
  }
  if (!ctx.auth.required && path !== '/healthz' && !loopbackHost(header(req, 'host'), ctx.trustedHosts)) {
    return fail(res, {
      status: 421,
      code: 'misdirected',
      message: 'without an access token this gateway only answers requests for a loopback host',
    });
  }
  const stateChanging = method !== 'GET' && method !== 'HEAD';
  // CSRF: a browser always sends Origin on a state-changing request; it must be ours or an allowed one.
  if (stateChanging && !originAllowed(origin, header(req, 'host'), ctx.origins)) {
    return fail(res, { status: 403, code: 'forbidden_origin', message: 'requests from this origin are not allowed' });
  }

  if (path === '/healthz') {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET');
    return json(res, 200, { status: 'ok', docker: ctx.containers.engineStatus.status });
  }
  if (path === '/api/session') return sessionRoute(ctx, logins, req, res, method);

  if (path.startsWith('/api/') || path === '/metrics') {
    const who = ctx.auth.authenticate({
      token: bearerToken(header(req, 'authorization')),
      session: readCookie(header(req, 'cookie'), SESSION_COOKIE),
    });
    if (!who.ok) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return fail(res, { status: 401, code: 'unauthorized', message: 'send Authorization: Bearer <token>, or log in' });
    }
    if (who.value.kind !== 'admin') {
      return fail(res, { status: 403, code: 'forbidden', message: 'a share link only opens its own live view' });
    }
    if (stateChanging && ctx.auth.required && bearerToken(header(req, 'authorization')) === undefined && origin === undefined) {
      // Authenticated by cookie alone, with no Origin to check: not a request a page of ours makes.
      return fail(res, { status: 403, code: 'forbidden_origin', message: 'send an Origin header or a bearer token' });
    }
    return adminRoute(ctx, req, res, method, path);
  }

  if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
  const file = ctx.files ? await ctx.files.get(path) : undefined;
  if (!file) {
    const built = ctx.files !== undefined && (await ctx.files.get('/')) !== undefined;
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

async function adminRoute(ctx: HttpContext, req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
  if (path === '/api/containers') {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    return json(res, 200, { containers: ctx.containers.all() });
  }
  if (path === '/metrics') {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    const lines = Object.entries(ctx.metrics()).map(([k, v]) => `dockpulse_${k} ${v}`);
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4', 'Cache-Control': 'no-store' });
    res.end(`${lines.join('\n')}\n`);
    return;
  }
  const base = ctx.publicUrl ?? requestOrigin(req);
  if (path === '/api/shares') {
    if (method === 'GET') {
      return json(res, 200, { shares: ctx.shares.active().map((s) => shareView(s, ctx.shares.tokenOf(s), base)) });
    }
    if (method !== 'POST') return methodNotAllowed(res, 'GET, POST');
    const body = await readJsonBody(req, MAX_BODY_BYTES);
    if (!body.ok) return fail(res, body.error);
    const request = parseShareRequest(body.value);
    if (!request.ok) return fail(res, request.error);
    const container = findContainer(ctx.containers.all(), request.value.container);
    if (!container) return fail(res, { status: 404, code: 'not_found', message: `no container "${request.value.container}"` });
    const created = await ctx.shares.create(container, request.value.ttlSeconds * 1000, request.value.follow);
    if (created === 'full') return fail(res, { status: 409, code: 'too_many_shares', message: 'revoke some shares first' });
    ctx.log.info('share created', { share: created.share.id, container: container.id, expiresAt: created.share.expiresAt });
    return json(res, 201, shareView(created.share, created.token, base));
  }
  const m = /^\/api\/shares\/([A-Za-z0-9_-]{1,64})$/.exec(path);
  if (m) {
    if (method !== 'DELETE') return methodNotAllowed(res, 'DELETE');
    if (!(await ctx.shares.revoke(m[1]!))) return fail(res, { status: 404, code: 'not_found', message: 'no such active share' });
    ctx.log.info('share revoked', { share: m[1]! });
    res.writeHead(204);
    res.end();
    return;
  }
  return fail(res, { status: 404, code: 'not_found', message: `no API endpoint ${path}` });
}

/** `GET` says whether a login is needed; `POST {"token"}` logs in (sets the cookie); `DELETE` logs out. */
async function sessionRoute(
  ctx: HttpContext,
  logins: Map<string, TokenBucket>,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
): Promise<void> {
  const secure = (ctx.publicUrl ?? '').startsWith('https:') || header(req, 'x-forwarded-proto') === 'https';
  if (method === 'GET') {
    const who = ctx.auth.authenticate({ session: readCookie(header(req, 'cookie'), SESSION_COOKIE) });
    return json(res, 200, { required: ctx.auth.required, authenticated: who.ok && who.value.kind === 'admin' });
  }
  if (method === 'DELETE') {
    res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, '', 0, secure));
    res.writeHead(204);
    res.end();
    return;
  }
  if (method !== 'POST') return methodNotAllowed(res, 'GET, POST, DELETE');
  const address = req.socket.remoteAddress ?? '';
  let bucket = logins.get(address);
  if (!bucket) {
    if (logins.size >= MAX_TRACKED_ADDRESSES) logins.clear();
    bucket = new TokenBucket(LOGIN_RATE.perSecond, LOGIN_RATE.burst);
    logins.set(address, bucket);
  }
  if (!bucket.take()) return fail(res, { status: 429, code: 'rate_limited', message: 'too many login attempts; wait a minute' });
  const body = await readJsonBody(req, MAX_BODY_BYTES);
  if (!body.ok) return fail(res, body.error);
  const token = isObject(body.value) ? body.value['token'] : undefined;
  if (typeof token !== 'string') return fail(res, { status: 400, code: 'bad_request', message: 'send {"token": "<access token>"}' });
  if (!ctx.auth.required) return json(res, 200, { required: false, authenticated: true });
  if (!ctx.auth.isAccessToken(token)) {
    ctx.log.warn('login with a wrong token', { remote: address });
    return fail(res, { status: 401, code: 'unauthorized', message: 'wrong token' });
  }
  const session = ctx.auth.newSession();
  res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, session.value, session.maxAgeSeconds, secure));
  return json(res, 200, { required: true, authenticated: true });
}

function securityHeaders(ctx: HttpContext, res: ServerResponse, path: string): void {
  const frameable = FRAMEABLE.test(path);
  const ancestors = frameable ? (ctx.frameAncestors.length ? ctx.frameAncestors.join(' ') : "'self'") : "'none'";
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (!frameable) res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors ${ancestors}; base-uri 'none'; form-action 'self'`,
  );
}

function requestOrigin(req: IncomingMessage): string {
  const proto = header(req, 'x-forwarded-proto') === 'https' ? 'https' : 'http';
  return `${proto}://${header(req, 'host') ?? 'localhost'}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, e: HttpError): void {
  // The rest of an oversized body is not read, so this connection cannot carry another request.
  if (e.status === 413) res.setHeader('Connection', 'close');
  json(res, e.status, { error: e.code, message: e.message });
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  fail(res, { status: 405, code: 'method_not_allowed', message: `use ${allow}` });
}
