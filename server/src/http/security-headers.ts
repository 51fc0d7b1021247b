import type { ServerResponse } from 'node:http';

/** Paths of views that other sites may frame. */
const FRAMEABLE = /^\/(embed|s)\//;

/**
 * Headers every answer carries: no sniffing, no referrer, a strict content security policy, and framing
 * only for the embeddable and shared views, by the origins `frameAncestors` lists (the gateway's own when empty).
 */
export function securityHeaders(res: ServerResponse, path: string, frameAncestors: readonly string[]): void {
  const frameable = FRAMEABLE.test(path);
  const ancestors = frameable ? (frameAncestors.length ? frameAncestors.join(' ') : "'self'") : "'none'";
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (!frameable) res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader(
    'Content-Security-Policy',
    `default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors ${ancestors}; base-uri 'none'; form-action 'self'`,
  );
}
