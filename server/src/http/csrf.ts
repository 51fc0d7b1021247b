/**
 * Cross-site request forgery: a state-changing request must come from a page of the gateway's own origin or
 * of one the operator lists. Browsers always send `Origin` on such requests, so a missing one means a
 * program, which cannot ride on a visitor's cookie, unless the cookie is all that authenticates it.
 */
import type { IncomingMessage } from 'node:http';
import { HttpErrorCode } from '@dockpulse/shared';
import { originAllowed } from '../auth/origin.js';
import { bearerToken } from '../auth/token.js';
import { header, type HttpError } from './respond.js';

/** True for methods that change something. */
export function isStateChanging(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** Why a state-changing request from this origin is refused, before anyone is authenticated. */
export function foreignOrigin(req: IncomingMessage, origins: readonly string[]): HttpError | undefined {
  if (!isStateChanging(req.method ?? 'GET')) return undefined;
  if (originAllowed(header(req, 'origin'), header(req, 'host'), origins)) return undefined;
  return { status: 403, code: HttpErrorCode.forbiddenOrigin, message: 'requests from this origin are not allowed' };
}

/**
 * Why a state-changing request authenticated by the session cookie alone, with no `Origin` to check, is
 * refused: it is not a request a page of ours makes.
 */
export function cookieWithoutOrigin(req: IncomingMessage, tokenRequired: boolean): HttpError | undefined {
  if (!isStateChanging(req.method ?? 'GET') || !tokenRequired) return undefined;
  if (bearerToken(header(req, 'authorization')) !== undefined || header(req, 'origin') !== undefined) return undefined;
  return { status: 403, code: HttpErrorCode.forbiddenOrigin, message: 'send an Origin header or a bearer token' };
}
