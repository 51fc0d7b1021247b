/**
 * WebSocket frames built once and written to many sockets. `ws` frames each `send` on its own: a header
 * allocated and written beside the payload through a corked stream, for every socket. A stats frame that a
 * thousand sockets receive in the same tick is framed here once instead, and each socket gets a single write.
 */
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';

/** An unmasked, final text frame (RFC 6455 §5.2) holding `payload`: what a server sends. */
export function textFrame(payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    frame.writeUInt32BE(n >>> 0, 6);
  }
  payload.copy(frame, head);
  return frame;
}

/**
 * Writes a whole frame, built by `textFrame`, to the socket under `ws`. Safe beside `ws`'s own sends because
 * the server never compresses (no permessage-deflate, so `ws` never holds frames back) and never fragments:
 * every write is one or more whole frames, in call order. Nothing is written once the close handshake began,
 * as `ws.send` would not either.
 */
export function writeFrame(ws: WebSocket, socket: Duplex, frame: Buffer): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  socket.write(frame);
}
