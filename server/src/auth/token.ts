import { timingSafeEqual, createHash } from 'node:crypto';
import { TOKEN_PROTOCOL_PREFIX } from '@dockpulse/shared';

/** The bearer token of an `Authorization` header, if it carries one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/** The token a browser offered as a `dockpulse.token.<base64url>` subprotocol entry, if any. */
export function subprotocolToken(protocols: Iterable<string>): string | undefined {
  for (const p of protocols) {
    if (!p.startsWith(TOKEN_PROTOCOL_PREFIX)) continue;
    const encoded = p.slice(TOKEN_PROTOCOL_PREFIX.length);
    if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
    return Buffer.from(encoded, 'base64url').toString('utf8');
  }
  return undefined;
}

/** Compares a presented token with the configured one without leaking, through timing, how much matched. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  // Hashing first makes both sides the same length, which timingSafeEqual needs.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
