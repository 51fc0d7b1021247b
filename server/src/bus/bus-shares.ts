/**
 * Share links kept in a bucket on the bus, so that every gateway on it has the same ones: a link made on one
 * gateway opens on all, and a revocation on one closes the link's views on all of them within moments (the
 * bucket's watch). Gateways must also share the signing secret (`DOCKPULSE_SHARE_SECRET`).
 */
import type { KV } from '@nats-io/kv';
import { parseShare, type Share, type SharePersistence, type ShareStore } from '../auth/share-store.js';
import type { Logger } from '../log.js';

export class BusShares implements SharePersistence {
  private kv: KV | undefined;
  private watch: { stop(): void } | undefined;

  constructor(private readonly log: Logger) {}

  /** Nothing at start: the shares arrive through the watch once the bus is reached. */
  load(): Promise<unknown[]> {
    return Promise.resolve([]);
  }

  async save(changed: Share): Promise<void> {
    const kv = this.kv;
    if (!kv) throw new Error('the message bus, where share links are kept, cannot be reached now');
    await kv.put(changed.id, JSON.stringify(changed));
  }

  /** Reads every share in `kv` into `store`, and then each change another gateway makes. */
  async attach(kv: KV, store: ShareStore): Promise<void> {
    this.watch?.stop();
    this.kv = kv;
    const empty = (await kv.status()).values === 0;
    const watch = await kv.watch();
    this.watch = watch;
    let initialDone: () => void = () => {};
    const initial = new Promise<void>((resolve) => (initialDone = resolve));
    if (empty) initialDone();
    void (async () => {
      for await (const e of watch) {
        if (e.operation === 'PUT') {
          let raw: unknown;
          try {
            raw = e.json();
          } catch {
            raw = undefined;
          }
          const share = parseShare(raw);
          if (share && share.id === e.key) store.apply(share);
          else this.log.warn('a malformed share in the shares bucket was ignored', { key: e.key.slice(0, 80) });
        }
        if (e.delta === 0) initialDone();
      }
    })().catch((e: unknown) => this.log.debug('shares bucket watch ended', { error: e instanceof Error ? e.message : String(e) }));
    await initial;
  }

  detach(): void {
    this.watch?.stop();
    this.watch = undefined;
    this.kv = undefined;
  }
}
