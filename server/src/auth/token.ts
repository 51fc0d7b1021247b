import { timingSafeEqual, createHash } from 'node:crypto';
import { TOKEN_PROTOCOL_PREFIX } from '@dockpulse/shared';

/** The bearer token of an `Authorization` header, if it carries one. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

/**
 * The token's base64 in a subprotocol entry: base64url without padding (RFC 4648 §5) as the protocol asks,
 * or with the `=` padding that Python's and Java's encoders add by default, or in the standard alphabet.
 */
const ENCODED_TOKEN = /^[A-Za-z0-9_+/-]+={0,2}$/;

/** The token a client offered as a `dockpulse.token.<base64url>` subprotocol entry, if any. */
export function subprotocolToken(protocols: Iterable<string>): string | undefined {
  for (const p of protocols) {
    if (!p.startsWith(TOKEN_PROTOCOL_PREFIX)) continue;
    const encoded = p.slice(TOKEN_PROTOCOL_PREFIX.length);
    if (!ENCODED_TOKEN.test(encoded)) return undefined;
    // Node's base64url decoder takes the standard alphabet too.
    return Buffer.from(encoded.replace(/=+$/, ''), 'base64url').toString('utf8');
  }
  return undefined;
}

/**
 * A `Sec-WebSocket-Protocol` header with its token entry written as unpadded base64url. `=` and `/` are not
 * allowed in a subprotocol (RFC 6455 asks for an HTTP token), and `ws` refuses an upgrade that offers one
 * with HTTP 400 before the gateway sees the request, although a padded entry is what a client gets from
 * Python's or Java's base64url encoder as it comes. The header is returned as it came when there is nothing
 * to mend.
 */
export function normalizeTokenProtocol(header: string): string {
  const entries = header.split(',').map((e) => e.trim());
  let mended = false;
  const out = entries.map((e) => {
    if (!e.startsWith(TOKEN_PROTOCOL_PREFIX)) return e;
    const encoded = e.slice(TOKEN_PROTOCOL_PREFIX.length);
    if (!ENCODED_TOKEN.test(encoded) || /^[A-Za-z0-9_-]+$/.test(encoded)) return e;
    mended = true;
    return TOKEN_PROTOCOL_PREFIX + encoded.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  });
  return mended ? out.join(', ') : header;
}

/** Compares a presented token with the configured one without leaking, through timing, how much matched. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  // Hashing first makes both sides the same length, which timingSafeEqual needs.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
