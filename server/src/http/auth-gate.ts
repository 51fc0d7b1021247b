import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpErrorCode } from '@dockpulse/shared';
import { SESSION_COOKIE, type Authenticator } from '../auth/authenticate.js';
import { readCookie } from '../auth/cookies.js';
import { bearerToken } from '../auth/token.js';
import { fail, header } from './respond.js';

/** Who a request comes from, by its bearer token or its session cookie. */
export function authenticateRequest(auth: Authenticator, req: IncomingMessage): ReturnType<Authenticator['authenticate']> {
  return auth.authenticate({
    token: bearerToken(header(req, 'authorization')),
    session: readCookie(header(req, 'cookie'), SESSION_COOKIE),
  });
}

/** Answers a request that carries no valid credentials. */
export function unauthorized(res: ServerResponse): void {
  res.setHeader('WWW-Authenticate', 'Bearer');
  fail(res, { status: 401, code: HttpErrorCode.unauthorized, message: 'send Authorization: Bearer <token>, or log in' });
}

/**
 * Lets the operator through (access token, session cookie, or loopback without a token) and answers anyone
 * else: `401` without valid credentials, `403` for a share token, which opens only its own live view.
 */
export function admitOperator(auth: Authenticator, req: IncomingMessage, res: ServerResponse): boolean {
  const who = authenticateRequest(auth, req);
  if (!who.ok) {
    unauthorized(res);
    return false;
  }
  if (who.value.kind !== 'admin') {
    fail(res, { status: 403, code: HttpErrorCode.forbidden, message: 'a share link only opens its own live view' });
    return false;
  }
  return true;
}
