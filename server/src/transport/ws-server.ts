import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '@dockpulse/shared';
import { Session, type SessionContext } from './session.js';
import { bearerToken, normalizeTokenProtocol, subprotocolToken } from '../auth/token.js';
import { loopbackHost, originAllowed } from '../auth/origin.js';
import { readSessionCookie } from '../auth/cookies.js';
import type { Authenticator } from '../auth/authenticate.js';
import type { SessionRef } from '../auth/session-store.js';
import type { ShareStore } from '../auth/share-store.js';
import { closeWithin, refuseConnection, refusalResponse } from './close-socket.js';

/** What the WebSocket endpoint needs besides the session context. */
export interface WsOptions {
  path: string;
  auth: Authenticator;
  shares: ShareStore;
  origins: readonly string[];
  /** Host names besides loopback that upgrades may name when no access token is set. */
  trustedHosts: readonly string[];
  heartbeatMs: number;
}

/**
 * The longest the expiry timer waits before it looks at the clock again: expiry times are wall-clock times, and
 * a wall clock set forward would otherwise be noticed only at the timer's monotonic deadline.
 */
const EXPIRY_RECHECK_MS = 60_000;

/** The WebSocket endpoint: upgrade checks, authentication, heartbeat, and one `Session` per socket. */
export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<WebSocket, Session>();
  /** The sessions opened with share tokens, which expiry and revocations walk. */
  private readonly shareSessions = new Map<WebSocket, Session>();
  /** The sockets opened with a dashboard session cookie, which logging out closes. */
  private readonly cookieSessions = new Map<WebSocket, SessionRef>();
  private readonly alive = new WeakSet<WebSocket>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Set for the earliest expiry among the share and cookie sockets; none while there are no such sockets. */
  private expiryTimer: NodeJS.Timeout | undefined;
  /** When `expiryTimer` fires (ms since the epoch). */
  private expiryAt = Infinity;
  private readonly offRevoke: () => void;
  private readonly offSessionEnd: () => void;
  private readonly offContainers: () => void;

  constructor(
    private readonly ctx: SessionContext,
    private readonly options: WsOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.limits.maxPayloadBytes,
      perMessageDeflate: false,
      // Select ours whenever it is offered; never echo a token entry back.
      // Ours whenever it is offered. A client that offers only other versions gets one of them back, so that its
      // handshake completes and it hears why it is refused (4400) rather than a failed handshake. A token
      // entry is never echoed.
      handleProtocols: (protocols) => {
        if (protocols.has(PROTOCOL)) return PROTOCOL;
        for (const p of protocols) if (!p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p;
        return false;
      },
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
    this.offRevoke = options.shares.onRevoke((share) => this.closeShares((_, sid) => sid === share.id, 'link revoked'));
    this.offSessionEnd = options.auth.onSessionEnd((ended) => {
      for (const [ws, ref] of this.cookieSessions) if (ended(ref)) this.closeWith(ws, CloseCode.tokenExpired, 'session ended');
    });
    this.offContainers = ctx.hosts.onChange(() => {
      for (const session of this.shareSessions.values()) session.refreshScope();
    });
  }

  /** Sockets open now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Handles an HTTP upgrade request; anything not for our path, or from a foreign origin, is refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.options.path) return refuse(socket, 404, 'Not Found');
    if (!this.options.auth.required && !loopbackHost(header(req, 'host'), this.options.trustedHosts)) {
      return refuse(socket, 421, 'Misdirected Request');
    }
    // Cross-site WebSocket hijacking: a page elsewhere must not ride on this browser's access.
    if (!originAllowed(header(req, 'origin'), header(req, 'host'), this.options.origins)) {
      this.ctx.log.warn('websocket upgrade from a foreign origin refused', { origin: header(req, 'origin') ?? '' });
      return refuse(socket, 403, 'Forbidden');
    }
    // ws answers 400 to a subprotocol with `=` in it, such as a padded token entry; mend it before ws reads it.
    const offered = req.headers['sec-websocket-protocol'];
    if (offered !== undefined) req.headers['sec-websocket-protocol'] = normalizeTokenProtocol(offered);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, req));
  }

  /** Closes every socket with `goingAway` and stops the heartbeat. */
  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.expiryAt = Infinity;
    this.offRevoke();
    this.offSessionEnd();
    this.offContainers();
    for (const [ws, session] of this.sessions) {
      session.close();
      closeWithin(ws, CloseCode.goingAway, 'server shutting down');
    }
    this.wss.close();
  }

  private accept(ws: WebSocket, socket: Duplex, req: IncomingMessage): void {
    const offered = (header(req, 'sec-websocket-protocol') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const clientId = randomUUID();
    const log = this.ctx.log.with({ client: clientId });
    // Clients that offer no subprotocol are taken to speak v1; one that offers only others speaks something else.
    const versions = offered.filter((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (versions.length > 0 && !versions.includes(PROTOCOL)) {
      closeWithin(ws, CloseCode.protocolViolation, `unsupported subprotocol; this server speaks ${PROTOCOL}`);
      return;
    }
    const remote = req.socket.remoteAddress ?? '';
    const creds = {
      token: bearerToken(header(req, 'authorization')) ?? subprotocolToken(offered),
      session: readSessionCookie(header(req, 'cookie')),
    };
    const who = this.options.auth.authenticate(creds, remote);
    if (!who.ok) {
      // Past its address's failure budget a client is refused without a log line each time.
      if (who.error === 'throttled') closeWithin(ws, CloseCode.rateLimited, 'too many failed attempts from this address');
      else log.warn('websocket refused', { reason: who.error, remote });
      // A session cookie is read only when no token came with it.
      const what = creds.token === undefined && creds.session !== undefined ? 'session' : 'link';
      if (who.error === 'expired' || who.error === 'revoked') closeWithin(ws, CloseCode.tokenExpired, `${what} ${who.error}`);
      else if (who.error !== 'throttled') closeWithin(ws, CloseCode.unauthorized, 'unauthorized');
      return;
    }
    const access = who.value.kind === 'share' ? ({ kind: 'share', claims: who.value.claims } as const) : ({ kind: 'all' } as const);
    const session = new Session(ws, socket, this.ctx, clientId, access);
    this.sessions.set(ws, session);
    if (access.kind === 'share') {
      this.shareSessions.set(ws, session);
      this.expireAt(access.claims.exp);
    }
    if (who.value.kind === 'admin' && who.value.session) {
      this.cookieSessions.set(ws, who.value.session);
      this.expireAt(who.value.session.exp);
    }
    this.alive.add(ws);
    log.debug('client connected', { remote: req.socket.remoteAddress ?? '' });
    ws.on('message', (data: Buffer, isBinary: boolean) => session.receive(data, isBinary));
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', (e) => log.debug('socket error', { error: e.message }));
    ws.on('close', (code) => {
      session.close();
      this.sessions.delete(ws);
      this.shareSessions.delete(ws);
      this.cookieSessions.delete(ws);
      log.debug('client disconnected', { code });
    });
  }

  /** Makes sure the expiry timer fires by `exp` (ms since the epoch). */
  private expireAt(exp: number): void {
    if (!(exp < this.expiryAt)) return;
    clearTimeout(this.expiryTimer);
    this.expiryAt = exp;
    this.expiryTimer = setTimeout(() => this.expire(), Math.min(Math.max(exp - Date.now(), 0), EXPIRY_RECHECK_MS));
  }

  /**
   * Closes the share and cookie sockets whose time is up, then waits for the next one to expire. A cookie is
   * refused once it expires; the sockets opened with it end then too.
   */
  private expire(): void {
    this.expiryTimer = undefined;
    this.expiryAt = Infinity;
    const now = Date.now();
    this.closeShares((exp) => exp <= now, 'link expired');
    for (const [ws, ref] of this.cookieSessions) if (ref.exp <= now) this.closeWith(ws, CloseCode.tokenExpired, 'session expired');
    for (const session of this.shareSessions.values()) if (session.access.kind === 'share') this.expireAt(session.access.claims.exp);
    for (const ref of this.cookieSessions.values()) this.expireAt(ref.exp);
  }

  /** Closes the share sockets whose claims match, with `tokenExpired`. */
  private closeShares(match: (exp: number, sid: string) => boolean, reason: string): void {
    for (const [ws, session] of this.shareSessions) {
      if (session.access.kind !== 'share') continue;
      const { exp, sid } = session.access.claims;
      if (match(exp, sid)) this.closeWith(ws, CloseCode.tokenExpired, reason);
    }
  }

  /** Releases a socket's session at once and closes it with `code`, ending it if its peer does not answer. */
  private closeWith(ws: WebSocket, code: CloseCode, reason: string): void {
    this.sessions.get(ws)?.close();
    this.sessions.delete(ws);
    this.shareSessions.delete(ws);
    this.cookieSessions.delete(ws);
    closeWithin(ws, code, reason);
  }

  /**
   * Closes peers that did not answer the previous ping with 4408, which a peer that still reads sees; one that is
   * gone costs the socket only until the close deadline.
   */
  private beat(): void {
    for (const ws of this.sessions.keys()) {
      // Already closing, under its own deadline.
      if (ws.readyState !== ws.OPEN) continue;
      if (!this.alive.has(ws)) {
        this.ctx.log.info('dropping a peer that missed a ping', { sockets: this.sessions.size });
        closeWithin(ws, CloseCode.slowConsumer, 'missed heartbeat');
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Answers a refused upgrade and closes the connection from our side (its request was read whole). */
function refuse(socket: Duplex, status: number, text: string): void {
  refuseConnection(socket, refusalResponse(status, text));
}
