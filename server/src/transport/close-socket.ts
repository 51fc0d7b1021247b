/**
 * Ending connections from the gateway's side, so that a client that never lets go cannot keep a descriptor:
 * a refused connection gets its answer and is closed at once, and a socket being closed gets a close frame
 * and a deadline, after which it is destroyed whether or not the client answered.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/** How long a closing socket may take to finish its close handshake before it is destroyed. */
export const CLOSE_DEADLINE_MS = 1000;

/**
 * How long a refusal whose request may not have been read yet lingers, reading and discarding, so that the
 * client reads the answer rather than a reset.
 */
const REFUSAL_LINGER_MS = 1000;

/** Refusals lingering at once at most; beyond it a refused connection is closed as soon as it is answered. */
const MAX_LINGERING = 64;

let lingering = 0;

/** An HTTP response closing its connection, with a JSON error body when `body` is given. */
export function refusalResponse(status: number, text: string, body?: { error: string; message: string }): string {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const type = body === undefined ? '' : 'Content-Type: application/json\r\n';
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`;
}

/**
 * Answers a connection with `response` and closes it from our side. After an upgrade request no HTTP timeout
 * applies, so a socket merely ended waits for the client to close its side, which a hostile client never does.
 * With `linger` (the request may still be on its way), whatever arrives is read and discarded for a short while
 * first: closing a socket with unread input resets it, and a reset can lose the answer before the client reads
 * it.
 */
export function refuseConnection(socket: Duplex, response: string, linger = false): void {
  socket.on('error', () => {});
  if (socket.destroyed) return;
  const lingers = linger && lingering < MAX_LINGERING;
  if (!lingers) {
    socket.once('finish', () => socket.destroy());
    socket.end(response);
    // A response that cannot even be handed to the kernel (a peer that reads nothing) does not hold the socket.
    setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
    return;
  }
  lingering++;
  const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  timer.unref();
  socket.once('close', () => {
    lingering--;
    clearTimeout(timer);
  });
  // Reading to the end lets the client's own close finish ours; `end` then destroys the socket.
  socket.on('end', () => socket.destroy());
  socket.resume();
  socket.end(response);
}

/**
 * Closes a WebSocket with `code`: its close frame goes to the connection at once (after what the connection
 * already holds, never after frames still waiting in the session's queue), and the socket is destroyed at the
 * deadline if the close handshake has not finished by then.
 */
export function closeWithin(ws: WebSocket, code: number, reason: string, deadlineMs: number = CLOSE_DEADLINE_MS): void {
  ws.close(code, reason);
  const timer = setTimeout(() => ws.terminate(), deadlineMs);
  timer.unref();
  ws.once('close', () => clearTimeout(timer));
}
