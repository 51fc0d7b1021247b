import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '@dockpulse/shared';
import { Session, type SessionContext } from './session.js';
import { bearerToken, subprotocolToken, tokenMatches } from '../auth/token.js';
import { originAllowed } from '../auth/origin.js';

/** What the WebSocket endpoint needs besides the session context. */
export interface WsOptions {
  path: string;
  token: string | undefined;
  origins: readonly string[];
  heartbeatMs: number;
}

/** The WebSocket endpoint: upgrade checks, authentication, heartbeat, and one `Session` per socket. */
export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Map<WebSocket, Session>();
  private readonly alive = new WeakSet<WebSocket>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: SessionContext,
    private readonly options: WsOptions,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.limits.maxPayloadBytes,
      perMessageDeflate: false,
      // Select ours whenever it is offered; never echo a token entry back.
      handleProtocols: (protocols) => (protocols.has(PROTOCOL) ? PROTOCOL : false),
    });
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs);
  }

  /** Sockets open now. */
  get size(): number {
    return this.sessions.size;
  }

  /** Handles an HTTP upgrade request; anything not for our path, or from a foreign origin, is refused. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== this.options.path) return refuse(socket, 404, 'Not Found');
    // Cross-site WebSocket hijacking: a page elsewhere must not ride on this browser's access.
    if (!originAllowed(header(req, 'origin'), header(req, 'host'), this.options.origins)) {
      this.ctx.log.warn('websocket upgrade from a foreign origin refused', { origin: header(req, 'origin') ?? '' });
      return refuse(socket, 403, 'Forbidden');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
  }

  /** Closes every socket with `goingAway` and stops the heartbeat. */
  close(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const [ws, session] of this.sessions) {
      session.close();
      ws.close(CloseCode.goingAway, 'server shutting down');
      setTimeout(() => ws.terminate(), 1000).unref();
    }
    this.wss.close();
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const offered = (header(req, 'sec-websocket-protocol') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const clientId = randomUUID();
    const log = this.ctx.log.with({ client: clientId });
    // Clients that offer no subprotocol are taken to speak v1; one that offers only others speaks something else.
    const versions = offered.filter((p) => !p.startsWith(TOKEN_PROTOCOL_PREFIX));
    if (versions.length > 0 && !versions.includes(PROTOCOL)) {
      ws.close(CloseCode.protocolViolation, `unsupported subprotocol; this server speaks ${PROTOCOL}`);
      return;
    }
    if (this.options.token !== undefined) {
      const presented = bearerToken(header(req, 'authorization')) ?? subprotocolToken(offered);
      if (!tokenMatches(presented, this.options.token)) {
        log.warn('websocket without a valid token refused', { remote: req.socket.remoteAddress ?? '' });
        ws.close(CloseCode.unauthorized, 'unauthorized');
        return;
      }
    }
    const session = new Session(ws, this.ctx, clientId);
    this.sessions.set(ws, session);
    this.alive.add(ws);
    log.debug('client connected', { remote: req.socket.remoteAddress ?? '' });
    ws.on('message', (data: Buffer, isBinary: boolean) => session.receive(data, isBinary));
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', (e) => log.debug('socket error', { error: e.message }));
    ws.on('close', (code) => {
      session.close();
      this.sessions.delete(ws);
      log.debug('client disconnected', { code });
    });
  }

  /** Drops peers that did not answer the previous ping. */
  private beat(): void {
    for (const ws of this.sessions.keys()) {
      if (!this.alive.has(ws)) {
        ws.terminate();
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

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
