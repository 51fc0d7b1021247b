/**
 * `/api/session`: whether the dashboard must ask for the access token (`GET`), logging in with it (`POST`,
 * which sets the session cookie) and out (`DELETE`, which ends the session); and `DELETE /api/sessions`, which
 * ends every session ("log out everywhere"). Wrong tokens count against the address's failure budget.
 */
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpErrorCode, isObject, type SessionInfo } from '@dockpulse/shared';
import type { Authenticator } from '../auth/authenticate.js';
import { readSessionCookie, sessionCookies } from '../auth/cookies.js';
import type { SessionChange, SessionStore } from '../auth/session-store.js';
import { SHARE_TOKEN_PREFIX } from '../auth/signed-token.js';
import { bearerToken } from '../auth/token.js';
import type { Logger } from '../log.js';
import { tooManyFailures } from './auth-gate.js';
import { readJsonBody } from './body.js';
import { fail, header, json, methodNotAllowed, noContent } from './respond.js';

/** Largest login body accepted. */
const MAX_BODY_BYTES = 16 * 1024;

export interface SessionApiContext {
  auth: Authenticator;
  sessions: SessionStore;
  /** The gateway's public base URL, when set: an `https:` one makes the cookie `Secure` and `__Host-`. */
  publicUrl: string | undefined;
  log: Logger;
}

/**
 * Whether the browser reached the gateway over HTTPS: its public URL says so, the connection is TLS, or a
 * proxy says so in `X-Forwarded-Proto` (a client that lies about it only gets a cookie its browser keeps for
 * HTTPS).
 */
export function overHttps(req: IncomingMessage, publicUrl: string | undefined): boolean {
  return (
    (publicUrl ?? '').startsWith('https:') ||
    (req.socket as Partial<TLSSocket>).encrypted === true ||
    header(req, 'x-forwarded-proto') === 'https'
  );
}

/** The `/api/session` handler. */
export function sessionApi(ctx: SessionApiContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const method = req.method ?? 'GET';
    const secure = overHttps(req, ctx.publicUrl);
    if (bearerToken(header(req, 'authorization'))?.startsWith(SHARE_TOKEN_PREFIX)) {
      return fail(res, { status: 403, code: HttpErrorCode.forbidden, message: 'a share link only opens its own live view' });
    }
    const cookie = readSessionCookie(header(req, 'cookie'));
    if (method === 'GET') {
      const info: SessionInfo = {
        required: ctx.auth.required,
        authenticated: !ctx.auth.required || ctx.auth.session(cookie) !== undefined,
      };
      return json(res, 200, info);
    }
    if (method === 'DELETE') {
      res.setHeader('Set-Cookie', sessionCookies('', 0, secure));
      const session = ctx.auth.session(cookie);
      if (!session) return noContent(res);
      return ended(ctx, res, await ctx.sessions.end(session), 'session ended');
    }
    if (method !== 'POST') return methodNotAllowed(res, 'GET, POST, DELETE');
    const body = await readJsonBody(req, MAX_BODY_BYTES);
    if (!body.ok) return fail(res, body.error);
    const token = isObject(body.value) ? body.value['token'] : undefined;
    if (typeof token !== 'string')
      return fail(res, { status: 400, code: HttpErrorCode.badRequest, message: 'send {"token": "<access token>"}' });
    if (!ctx.auth.required) return json(res, 200, { required: false, authenticated: true } satisfies SessionInfo);
    if (!ctx.auth.isAccessToken(token)) {
      const address = req.socket.remoteAddress ?? '';
      if (!ctx.auth.countFailure(address)) return tooManyFailures(res);
      ctx.log.warn('login with a wrong token', { remote: address });
      return fail(res, { status: 401, code: HttpErrorCode.unauthorized, message: 'wrong token' });
    }
    const session = ctx.auth.newSession();
    res.setHeader('Set-Cookie', sessionCookies(session.value, session.maxAgeSeconds, secure));
    return json(res, 200, { required: true, authenticated: true } satisfies SessionInfo);
  };
}

/**
 * `DELETE /api/sessions`, behind the operator gate: ends every dashboard session, this one too, and closes
 * their sockets. Share links and the access token are untouched.
 */
export async function endAllSessions(ctx: SessionApiContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if ((req.method ?? 'GET') !== 'DELETE') return methodNotAllowed(res, 'DELETE');
  res.setHeader('Set-Cookie', sessionCookies('', 0, overHttps(req, ctx.publicUrl)));
  return ended(ctx, res, await ctx.sessions.endAll(), 'every session ended');
}

/** `204` once the end is kept; `503 not_saved` when it is in force here but not yet kept (it is retried). */
function ended(ctx: SessionApiContext, res: ServerResponse, change: SessionChange, what: string): void {
  if (change === 'saved') {
    ctx.log.info(what);
    return noContent(res);
  }
  ctx.log.error(`${what} but not saved; retrying`);
  return fail(res, {
    status: 503,
    code: HttpErrorCode.notSaved,
    message: `${what} on this gateway and its sockets closed, but not yet saved: it is retried until it is`,
  });
}
