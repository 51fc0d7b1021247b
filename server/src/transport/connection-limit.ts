/**
 * Bounds on the connections the gateway holds: in total, and from one address. A connection over a bound is
 * still read, briefly, so that its request can be answered with a clear `503 too_many_connections`, and is then
 * closed; it is never counted, and only a few such refusals are kept waiting at once.
 */
import type { Socket } from 'node:net';
import { isIP } from 'node:net';

/** The bounds; 0 for `perAddress` sets none. */
export interface ConnectionLimits {
  total: number;
  perAddress: number;
}

/** Why a connection was refused. */
export type ConnectionRefusal = 'total' | 'address';

/** How long a refused connection may take to send its request before it is closed unanswered. */
const REFUSED_WAIT_MS = 1000;

/** Refused connections kept waiting for their request at once; beyond this they are closed at once. */
const MAX_REFUSED_WAITING = 64;

/** Counters for metrics and tests. */
export interface ConnectionStats {
  open: number;
  refused: Record<ConnectionRefusal, number>;
}

/**
 * True for the loopback addresses: a reverse proxy on the same machine (the documented way to serve the gateway
 * beyond it) brings every user from one of them, so they are bound only by the total.
 */
function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || (isIP(v4) === 4 && v4.startsWith('127.'));
}

export class ConnectionLimit {
  private open = 0;
  private readonly byAddress = new Map<string, number>();
  private readonly refusedSockets = new WeakMap<Socket, ConnectionRefusal>();
  private waiting = 0;
  private readonly refusedCount: Record<ConnectionRefusal, number> = { total: 0, address: 0 };

  constructor(private readonly limits: ConnectionLimits) {}

  /** Counts a new connection until it closes, or marks it refused (see `refusal`) when it is over a bound. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const fromAddress = this.byAddress.get(address) ?? 0;
    const why: ConnectionRefusal | undefined =
      this.open >= this.limits.total
        ? 'total'
        : this.limits.perAddress > 0 && !isLoopbackAddress(address) && fromAddress >= this.limits.perAddress
          ? 'address'
          : undefined;
    if (why !== undefined) {
      this.refusedCount[why]++;
      this.refuse(socket, why);
      return;
    }
    this.open++;
    this.byAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.open--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    });
  }

  /** Why the connection under a request was refused, or undefined when it was admitted. */
  refusal(socket: Socket): ConnectionRefusal | undefined {
    return this.refusedSockets.get(socket);
  }

  /** The answer a refused connection's request gets. */
  message(why: ConnectionRefusal): string {
    return why === 'total'
      ? `the gateway holds as many connections as it takes (${this.limits.total}); try again later`
      : `this address holds as many connections as one address may (${this.limits.perAddress}); close some first`;
  }

  get stats(): ConnectionStats {
    return { open: this.open, refused: { ...this.refusedCount } };
  }

  private refuse(socket: Socket, why: ConnectionRefusal): void {
    if (this.waiting >= MAX_REFUSED_WAITING) {
      socket.destroy();
      return;
    }
    this.waiting++;
    this.refusedSockets.set(socket, why);
    const timer = setTimeout(() => socket.destroy(), REFUSED_WAIT_MS);
    timer.unref();
    socket.once('close', () => {
      this.waiting--;
      clearTimeout(timer);
    });
  }
}
