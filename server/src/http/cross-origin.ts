/**
 * Who may call the gateway from where: CORS for the origins an operator lists, and, on a gateway without an
 * access token, the rule that a request must name a loopback host (a page on another domain that resolves to
 * 127.0.0.1, DNS rebinding, names that domain).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loopbackHost } from '../auth/origin.js';
import { header } from './respond.js';

/**
 * Sets the CORS headers for an origin listed in `origins` (which may call the API with a bearer token; cookies
 * never cross sites), and answers its preflight. True when the request was a preflight, now answered.
 */
export function cors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): boolean {
  const origin = header(req, 'origin');
  if (origin === undefined || !origins.includes(origin)) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, POST, DELETE',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
  });
  res.end();
  return true;
}

/** True when a gateway without an access token must refuse the request for the host it names. */
export function misdirected(req: IncomingMessage, tokenRequired: boolean, trustedHosts: readonly string[]): boolean {
  return !tokenRequired && !loopbackHost(header(req, 'host'), trustedHosts);
}
