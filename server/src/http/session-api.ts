/**
 * `/api/session`: whether the dashboard must ask for the access token (`GET`), logging in with it (`POST`,
 * which sets the session cookie) and out (`DELETE`). Login attempts are limited per client address.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpErrorCode, isObject, type SessionInfo } from '@dockpulse/shared';
import { SESSION_COOKIE, type Authenticator } from '../auth/authenticate.js';
import { readCookie, sessionCookie } from '../auth/cookies.js';
import { SHARE_TOKEN_PREFIX } from '../auth/signed-token.js';
import { bearerToken } from '../auth/token.js';
import { TokenBucket } from '../limits/token-bucket.js';
import type { Logger } from '../log.js';
import { readJsonBody } from './body.js';
import { fail, header, json, methodNotAllowed, noContent } from './respond.js';

/** Login attempts per client address: a few a minute. */
const LOGIN_RATE = { perSecond: 1 / 6, burst: 10 } as const;
const MAX_TRACKED_ADDRESSES = 10_000;

/** Largest login body accepted. */
const MAX_BODY_BYTES = 16 * 1024;

export interface SessionApiContext {
  auth: Authenticator;
  /** The gateway's public base URL, when set: an `https:` one makes the cookie `Secure`. */
  publicUrl: string | undefined;
  log: Logger;
}

/** The `/api/session` handler, with its own login limiter. */
export function sessionApi(ctx: SessionApiContext): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const logins = new Map<string, TokenBucket>();
  return async (req, res) => {
    const method = req.method ?? 'GET';
    const secure = (ctx.publicUrl ?? '').startsWith('https:') || header(req, 'x-forwarded-proto') === 'https';
    if (bearerToken(header(req, 'authorization'))?.startsWith(SHARE_TOKEN_PREFIX)) {
      return fail(res, { status: 403, code: HttpErrorCode.forbidden, message: 'a share link only opens its own live view' });
    }
    if (method === 'GET') {
      const who = ctx.auth.authenticate({ session: readCookie(header(req, 'cookie'), SESSION_COOKIE) });
      const info: SessionInfo = { required: ctx.auth.required, authenticated: who.ok && who.value.kind === 'admin' };
      return json(res, 200, info);
    }
    if (method === 'DELETE') {
      res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, '', 0, secure));
      return noContent(res);
    }
    if (method !== 'POST') return methodNotAllowed(res, 'GET, POST, DELETE');
    const address = req.socket.remoteAddress ?? '';
    let bucket = logins.get(address);
    if (!bucket) {
      if (logins.size >= MAX_TRACKED_ADDRESSES) logins.clear();
      bucket = new TokenBucket(LOGIN_RATE.perSecond, LOGIN_RATE.burst);
      logins.set(address, bucket);
    }
    if (!bucket.take())
      return fail(res, { status: 429, code: HttpErrorCode.rateLimited, message: 'too many login attempts; wait a minute' });
    const body = await readJsonBody(req, MAX_BODY_BYTES);
    if (!body.ok) return fail(res, body.error);
    const token = isObject(body.value) ? body.value['token'] : undefined;
    if (typeof token !== 'string')
      return fail(res, { status: 400, code: HttpErrorCode.badRequest, message: 'send {"token": "<access token>"}' });
    if (!ctx.auth.required) return json(res, 200, { required: false, authenticated: true } satisfies SessionInfo);
    if (!ctx.auth.isAccessToken(token)) {
      ctx.log.warn('login with a wrong token', { remote: address });
      return fail(res, { status: 401, code: HttpErrorCode.unauthorized, message: 'wrong token' });
    }
    const session = ctx.auth.newSession();
    res.setHeader('Set-Cookie', sessionCookie(SESSION_COOKIE, session.value, session.maxAgeSeconds, secure));
    return json(res, 200, { required: true, authenticated: true } satisfies SessionInfo);
  };
}
