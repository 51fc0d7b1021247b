/**
 * Whether the dashboard may show anything yet: with an access token configured, the person logs in once
 * (the token goes to `POST /api/session` and comes back as an HttpOnly cookie); the token itself is kept
 * nowhere, neither in the address, nor in storage, nor in a log.
 */
import { describeApiError } from './api-types.js';
import { getSession, logIn, logOut, logOutEverywhere } from './api.js';
import type { ApiError } from './api-types.js';

export class Access {
  /** The gateway has an access token, so there is a session to log out of. Null until asked. */
  required: boolean | null = $state(null);
  /** The gateway said this browser has no valid session. */
  loggedOut = $state(false);

  /** Asks the gateway whether a login is needed; true when the feed may connect now. */
  async check(): Promise<boolean> {
    const r = await getSession();
    // Unreachable: let the socket find out, with its retries and its indicator.
    if (!r.ok) return true;
    this.required = r.value.required;
    this.loggedOut = r.value.required && !r.value.authenticated;
    return !this.loggedOut;
  }

  /** Logs in; the error to show, or null on success. */
  async logIn(token: string): Promise<string | null> {
    const r = await logIn(token);
    if (r.ok) {
      this.required = r.value.required;
      this.loggedOut = false;
      return null;
    }
    const e = r.error;
    if (e.kind === 'http' && e.status === 401) return 'That is not the access token.';
    if (e.kind === 'http' && e.status === 429) return 'Too many attempts. Wait a minute, then try again.';
    return describeApiError(e);
  }

  /** Logs out; the error to show, or null on success. */
  async logOut(): Promise<string | null> {
    return this.ended(await logOut());
  }

  /** Ends every session of the gateway, this one too; the error to show, or null on success. */
  async logOutEverywhere(): Promise<string | null> {
    return this.ended(await logOutEverywhere());
  }

  private ended(r: { ok: true } | { ok: false; error: ApiError }): string | null {
    if (r.ok) {
      this.loggedOut = true;
      return null;
    }
    // Ended on the gateway, which keeps trying to save it: logged out here, and told why it may not last.
    if (r.error.kind === 'http' && r.error.code === 'not_saved') this.loggedOut = true;
    return describeApiError(r.error);
  }

  /** The socket was refused: the session ended (expired, or the token changed). */
  sessionEnded(): void {
    this.required = true;
    this.loggedOut = true;
  }
}
