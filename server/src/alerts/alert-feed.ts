/** The `alerts` topic: the sockets that hold it, and the frame each change sends them. */
import type { AlertNotice } from '@dockpulse/shared';
import type { Hub } from '../hub/hub.js';
import type { Outbox } from '../hub/outbox.js';
import { alertsFrame } from '../protocol/frames.js';

/** See the module comment. */
export class AlertFeed {
  private readonly subscribers = new Set<Outbox>();
  private frame = alertsFrame([], undefined);

  constructor(private readonly hub: Pick<Hub, 'send'>) {}

  /** Adds a socket; it gets the alerts firing now at once. */
  subscribe(out: Outbox): void {
    if (this.subscribers.has(out)) return;
    this.subscribers.add(out);
    this.hub.send(out, this.frame);
  }

  unsubscribe(out: Outbox): void {
    this.subscribers.delete(out);
  }

  /** Sends every subscriber the alerts firing now, and the change that made them so. */
  publish(firing: readonly AlertNotice[], change: AlertNotice | undefined): void {
    this.frame = alertsFrame(firing, undefined);
    const frame = change === undefined ? this.frame : alertsFrame(firing, change);
    for (const out of this.subscribers) this.hub.send(out, frame);
  }
}
