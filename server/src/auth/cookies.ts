/**
 * The dashboard session cookie. On a gateway reached over HTTPS it is named with the `__Host-` prefix, which a
 * browser accepts only with `Secure`, `Path=/` and no `Domain`: no other site, not even a sibling subdomain or
 * a plain-HTTP page on the same host, can set or shadow it.
 */

/** The cookie's name over plain HTTP. */
export const SESSION_COOKIE = 'dockpulse_session';

/** The cookie's name over HTTPS. */
export const SECURE_SESSION_COOKIE = '__Host-dockpulse_session';

/** Reads one cookie from a `Cookie` header; undefined when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The session cookie a request carries: the `__Host-` one when there is one, else the plain one. */
export function readSessionCookie(header: string | undefined): string | undefined {
  return readCookie(header, SECURE_SESSION_COOKIE) ?? readCookie(header, SESSION_COOKIE);
}

/**
 * `Set-Cookie` values that set the session cookie (`maxAgeSeconds` 0 and an empty value clear it): never
 * readable by scripts, never sent cross-site, and `__Host-` over HTTPS. Clearing over HTTPS clears the plain
 * name too, left from before the gateway was behind HTTPS.
 */
export function sessionCookies(value: string, maxAgeSeconds: number, secure: boolean): string[] {
  const attributes = `Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
  if (!secure) return [`${SESSION_COOKIE}=${value}; ${attributes}`];
  const cookies = [`${SECURE_SESSION_COOKIE}=${value}; ${attributes}; Secure`];
  if (maxAgeSeconds === 0) cookies.push(`${SESSION_COOKIE}=; ${attributes}; Secure`);
  return cookies;
}
