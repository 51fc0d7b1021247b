import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpErrorCode } from '@dockpulse/shared';
import type { AuthFailure, Authenticator } from '../auth/authenticate.js';
import { readSessionCookie } from '../auth/cookies.js';
import { bearerToken } from '../auth/token.js';
import { AUTH_RETRY_AFTER_S } from '../limits/auth-failures.js';
import { fail, header } from './respond.js';

/**
 * Who a request comes from, by its bearer token or its session cookie. A wrong token counts against the
 * failure budget of the client's address (the TCP peer's; `X-Forwarded-For` is not read).
 */
export function authenticateRequest(auth: Authenticator, req: IncomingMessage): ReturnType<Authenticator['authenticate']> {
  return auth.authenticate(
    { token: bearerToken(header(req, 'authorization')), session: readSessionCookie(header(req, 'cookie')) },
    req.socket.remoteAddress ?? '',
  );
}

/** Answers a request that carries no valid credentials: `401`, or `429` once its address failed too often. */
export function unauthorized(res: ServerResponse, why?: AuthFailure): void {
  if (why === 'throttled') return tooManyFailures(res);
  res.setHeader('WWW-Authenticate', 'Bearer');
  fail(res, { status: 401, code: HttpErrorCode.unauthorized, message: 'send Authorization: Bearer <token>, or log in' });
}

/** Answers a wrong credential from an address over its failure budget. */
export function tooManyFailures(res: ServerResponse): void {
  res.setHeader('Retry-After', String(AUTH_RETRY_AFTER_S));
  fail(res, {
    status: 429,
    code: HttpErrorCode.rateLimited,
    message: 'too many failed attempts from this address; a right token is still let in',
  });
}

/**
 * Lets the operator through (access token, session cookie, or loopback without a token) and answers anyone
 * else: `401` without valid credentials (`429` once the address failed too often), `403` for a share token,
 * which opens only its own live view.
 */
export function admitOperator(auth: Authenticator, req: IncomingMessage, res: ServerResponse): boolean {
  const who = authenticateRequest(auth, req);
  if (!who.ok) {
    unauthorized(res, who.error);
    return false;
  }
  if (who.value.kind !== 'admin') {
    fail(res, { status: 403, code: HttpErrorCode.forbidden, message: 'a share link only opens its own live view' });
    return false;
  }
  return true;
}
