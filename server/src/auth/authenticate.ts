import { err, ok, type Result } from '@dockpulse/shared';
import { tokenMatches } from './token.js';
import { signSession, verifySession, SHARE_TOKEN_PREFIX, type ShareClaims } from './signed-token.js';
import type { ShareStore } from './share-store.js';

/** Who is asking: the operator (access token, session, or loopback without a token), or a share link. */
export type Principal = { kind: 'admin' } | { kind: 'share'; claims: ShareClaims };

/** Why nobody is recognised. `expired` and `revoked` concern share tokens and sessions. */
export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'revoked';

/** Credentials a request carries. */
export interface Credentials {
  /** From `Authorization: Bearer`, or a `dockpulse.token.<base64url>` subprotocol entry. */
  token?: string | undefined;
  /** The dashboard session cookie. */
  session?: string | undefined;
}

/** The name of the dashboard session cookie. */
export const SESSION_COOKIE = 'dockpulse_session';

/** How long a dashboard session lasts. */
export const SESSION_TTL_MS = 7 * 24 * 3_600_000;

/** Decides who a request is. */
export class Authenticator {
  constructor(
    private readonly accessToken: string | undefined,
    private readonly shares: ShareStore,
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when an access token is configured, so the operator must present it (or a session). */
  get required(): boolean {
    return this.accessToken !== undefined;
  }

  authenticate(creds: Credentials): Result<Principal, AuthFailure> {
    const token = creds.token;
    if (token !== undefined && token.startsWith(SHARE_TOKEN_PREFIX)) {
      const share = this.shares.verify(token);
      if (!share.ok) return err(share.error === 'revoked' ? 'revoked' : share.error === 'expired' ? 'expired' : 'invalid');
      return ok({ kind: 'share', claims: share.claims });
    }
    if (this.accessToken === undefined) return ok({ kind: 'admin' });
    if (token !== undefined) return tokenMatches(token, this.accessToken) ? ok({ kind: 'admin' }) : err('invalid');
    if (creds.session !== undefined) {
      const s = verifySession(this.secret, this.accessToken, creds.session, this.now());
      if (s.ok) return ok({ kind: 'admin' });
      return err(s.error === 'expired' ? 'expired' : 'invalid');
    }
    return err('missing');
  }

  /** Checks a presented access token (for logging in); false without one configured. */
  isAccessToken(token: string): boolean {
    return this.accessToken !== undefined && tokenMatches(token, this.accessToken);
  }

  /** A new session cookie value and its lifetime in seconds; only meaningful with an access token. */
  newSession(): { value: string; maxAgeSeconds: number } {
    const exp = this.now() + SESSION_TTL_MS;
    return { value: signSession(this.secret, this.accessToken ?? '', exp), maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }
}
