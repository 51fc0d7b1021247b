/** How a browser, which cannot set headers on a WebSocket, presents a token: as a subprotocol entry. */
import { PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '@dockpulse/shared';

/** base64url (RFC 4648 §5, no padding) of the UTF-8 bytes of `text`. */
export function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The subprotocol entry that carries `token`: `dockpulse.token.<base64url(token)>`. */
export function tokenProtocol(token: string): string {
  return TOKEN_PROTOCOL_PREFIX + base64url(token);
}

/** The subprotocols to offer: the protocol version, then the token's entry when there is one. */
export function feedProtocols(token: string | undefined): string[] {
  return token ? [PROTOCOL, tokenProtocol(token)] : [PROTOCOL];
}
