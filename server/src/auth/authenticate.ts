import { randomBytes } from 'node:crypto';
import { err, ok, type Result } from '@dockpulse/shared';
import { tokenMatches } from './token.js';
import { signSession, verifySession, SHARE_TOKEN_PREFIX, type ShareClaims } from './signed-token.js';
import type { ShareStore } from './share-store.js';
import type { SessionRef, SessionStore } from './session-store.js';
import type { AuthFailures } from '../limits/auth-failures.js';

/** Who is asking: the operator (access token, session, or loopback without a token), or a share link. */
export type Principal = { kind: 'admin'; session?: SessionRef } | { kind: 'share'; claims: ShareClaims };

/**
 * Why nobody is recognised. `expired` and `revoked` concern share tokens and sessions; `throttled` is a wrong
 * credential from an address that failed too often (see `AuthFailures`).
 */
export type AuthFailure = 'missing' | 'invalid' | 'expired' | 'revoked' | 'throttled';

/** Credentials a request carries. */
export interface Credentials {
  /** From `Authorization: Bearer`, or a `dockpulse.token.<base64url>` subprotocol entry. */
  token?: string | undefined;
  /** The dashboard session cookie. */
  session?: string | undefined;
}

/** How long a dashboard session lasts. */
export const SESSION_TTL_MS = 7 * 24 * 3_600_000;

/** What the authenticator keeps besides the secrets. */
export interface AuthenticatorOptions {
  /** Sessions ended early; without it, sessions end only at their expiry (tests of other things). */
  sessions?: SessionStore | undefined;
  /** Failure budgets by address; without it, failures are not limited. */
  failures?: AuthFailures | undefined;
  /** How long a dashboard session lasts from its login; `SESSION_TTL_MS` by default. */
  sessionTtlMs?: number | undefined;
  now?: () => number;
}

/** Decides who a request is. */
export class Authenticator {
  private readonly now: () => number;

  constructor(
    private readonly accessToken: string | undefined,
    private readonly shares: ShareStore,
    private readonly secret: Buffer,
    private readonly options: AuthenticatorOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** True when an access token is configured, so the operator must present it (or a session). */
  get required(): boolean {
    return this.accessToken !== undefined;
  }

  /**
   * Who `creds` are. With `from` (the client's address), a wrong token counts against that address's failure
   * budget, and past it is `throttled`; a right one is never refused for its address's failures.
   */
  authenticate(creds: Credentials, from?: string): Result<Principal, AuthFailure> {
    const who = this.identify(creds);
    // Only tokens count: a session cookie is a 256-bit signature nobody guesses, and a browser whose cookie
    // went stale (the access token changed) must not use up its address's budget by reconnecting.
    if (!who.ok && who.error === 'invalid' && creds.token !== undefined && from !== undefined) return this.failed(from, who);
    return who;
  }

  /** Counts a failed proof of the access token from `from` (a wrong login); true while within the budget. */
  countFailure(from: string): boolean {
    return this.options.failures?.fail(from) ?? true;
  }

  /** Checks a presented access token (for logging in); false without one configured. */
  isAccessToken(token: string): boolean {
    return this.accessToken !== undefined && tokenMatches(token, this.accessToken);
  }

  /** A new session cookie value, its session and its lifetime in seconds; only meaningful with an access token. */
  newSession(): { value: string; ref: SessionRef; maxAgeSeconds: number } {
    const ttl = this.options.sessionTtlMs ?? SESSION_TTL_MS;
    const ref: SessionRef = {
      epoch: this.options.sessions?.epoch ?? 'none',
      id: randomBytes(16).toString('base64url'),
      exp: this.now() + ttl,
    };
    return { value: signSession(this.secret, this.accessToken ?? '', ref), ref, maxAgeSeconds: Math.ceil(ttl / 1000) };
  }

  /** The session a cookie names, when it is valid now (signed, unexpired and not ended). */
  session(cookie: string | undefined): SessionRef | undefined {
    const who = cookie === undefined ? undefined : this.identify({ session: cookie });
    return who?.ok && who.value.kind === 'admin' ? who.value.session : undefined;
  }

  /** Calls `fn` when sessions end, with a test of which; returns the unsubscribe. */
  onSessionEnd(fn: (ended: (ref: SessionRef) => boolean) => void): () => void {
    return this.options.sessions?.onEnd(fn) ?? (() => {});
  }

  private failed(from: string, who: Result<Principal, AuthFailure>): Result<Principal, AuthFailure> {
    return this.countFailure(from) ? who : err('throttled');
  }

  private identify(creds: Credentials): Result<Principal, AuthFailure> {
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
      if (!s.ok) return err(s.error === 'expired' ? 'expired' : 'invalid');
      if (this.options.sessions?.isEnded(s.value)) return err('revoked');
      return ok({ kind: 'admin', session: s.value });
    }
    return err('missing');
  }
}
