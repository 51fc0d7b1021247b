import { createHmac, timingSafeEqual } from 'node:crypto';
import { err, isFiniteNumber, isObject, ok, type Result } from '@dockpulse/shared';
import type { SessionRef } from './session-store.js';

/** What a share link grants: one container, until a time, under an id that can be revoked. */
export interface ShareClaims {
  /** Share id, for revocation. */
  sid: string;
  /** Container id at creation. */
  cid: string;
  /** The container's host; absent in links made before a gateway served several hosts. */
  host?: string;
  /** With `follow`, the container name the share follows across re-creation. */
  name?: string;
  follow: boolean;
  /** Expiry, ms since the epoch. */
  exp: number;
}

/** Why a token was refused. */
export type TokenError = 'malformed' | 'bad_signature' | 'expired';

/** Share tokens start with this, so they are never mistaken for an access token. */
export const SHARE_TOKEN_PREFIX = 'dps1.';

function mac(secret: Buffer, purpose: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(purpose).update('\0').update(payload).digest();
}

/** Signs share claims with HMAC-SHA256: `dps1.<base64url(claims)>.<base64url(mac)>`. */
export function signShare(secret: Buffer, claims: ShareClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${SHARE_TOKEN_PREFIX}${payload}.${mac(secret, 'share', payload).toString('base64url')}`;
}

/**
 * Checks a share token's signature and expiry (revocation is the store's business). The signature is
 * checked before anything inside the token is believed.
 */
export function verifyShare(secret: Buffer, token: string, now: number): Result<ShareClaims, TokenError> {
  if (!token.startsWith(SHARE_TOKEN_PREFIX) || token.length > 2048) return err('malformed');
  const parts = token.slice(SHARE_TOKEN_PREFIX.length).split('.');
  if (parts.length !== 2) return err('malformed');
  const [payload, signature] = parts as [string, string];
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]+$/.test(signature)) return err('malformed');
  const given = Buffer.from(signature, 'base64url');
  // Base64 lets the last character's spare bits vary; accept one spelling only, so a token has one form.
  if (given.toString('base64url') !== signature) return err('malformed');
  const expected = mac(secret, 'share', payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return err('bad_signature');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return err('malformed');
  }
  if (!isObject(raw)) return err('malformed');
  const { sid, cid, host, name, follow, exp } = raw;
  if (typeof sid !== 'string' || typeof cid !== 'string' || typeof follow !== 'boolean' || !isFiniteNumber(exp)) {
    return err('malformed');
  }
  if (name !== undefined && typeof name !== 'string') return err('malformed');
  if (host !== undefined && typeof host !== 'string') return err('malformed');
  if (exp <= now) return err('expired');
  const claims: ShareClaims = { sid, cid, follow, exp };
  if (typeof name === 'string') claims.name = name;
  if (typeof host === 'string') claims.host = host;
  return ok(claims);
}

/**
 * A dashboard session cookie: `<epoch>.<id>.<expiry>.<mac>`, bound to the access token in force when it was
 * issued, so changing `DOCKPULSE_TOKEN` ends every session. The id and the epoch let the gateway end it early
 * (see `SessionStore`).
 */
export function signSession(secret: Buffer, accessToken: string, ref: SessionRef): string {
  const payload = `${ref.epoch}.${ref.id}.${ref.exp}`;
  return `${payload}.${mac(secret, `session\0${accessToken}`, payload).toString('base64url')}`;
}

/** Checks a session cookie's signature and expiry (whether it was ended is the session store's business). */
export function verifySession(secret: Buffer, accessToken: string, cookie: string, now: number): Result<SessionRef, TokenError> {
  const m = /^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{1,64})\.(\d{1,16})\.([A-Za-z0-9_-]{1,100})$/.exec(cookie);
  if (!m) return err('malformed');
  const [, epoch, id, expText, signature] = m as unknown as [string, string, string, string, string];
  const given = Buffer.from(signature, 'base64url');
  if (given.toString('base64url') !== signature) return err('malformed');
  const expected = mac(secret, `session\0${accessToken}`, `${epoch}.${id}.${expText}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return err('bad_signature');
  const exp = Number(expText);
  if (exp <= now) return err('expired');
  return ok({ epoch, id, exp });
}
