/**
 * The history a gateway answers range queries from: which container a reference means, among those running
 * now and those recorded (a removed container stays findable by its name until its points age out), and its
 * points.
 */
import { err, ok, type HistoryQuery, type HistoryRange, type Result } from '@dockpulse/shared';
import type { HostSet } from '../hosts/host-set.js';
import { matchContainers } from '../hosts/resolve.js';
import { answerRange, type RangeContext, type RangeError } from './range.js';

/** A container history can be asked of. `key` is its key in the store, when anything of it was stored. */
export interface HistoryContainer {
  host: string;
  id: string;
  name: string;
  key: number | undefined;
}

/** Why a reference names no container. */
export interface FindError {
  status: 400 | 404;
  message: string;
}

export class History {
  constructor(
    private readonly hosts: HostSet,
    private readonly ctx: RangeContext,
  ) {}

  /** The container `ref` names on `host` (or on any host): a live one first, else the latest recorded. */
  find(host: string | undefined, ref: string): Result<HistoryContainer, FindError> {
    const live = matchContainers(host === undefined ? this.hosts.all() : this.hosts.all().filter((c) => c.host === host), ref);
    if (live.length > 1) {
      const on = [...new Set(live.map((c) => c.host))];
      return err({
        status: 400,
        message: on.length > 1 ? `"${ref}" is on several hosts (${on.join(', ')}): name the host` : `"${ref}" names several containers`,
      });
    }
    const store = this.ctx.store;
    if (live.length === 1) {
      const c = live[0]!;
      return ok({ host: c.host, id: c.id, name: c.name, key: store?.container(c.host, c.id)?.key });
    }
    const recorded = store?.lookup(host, ref) ?? [];
    if (recorded.length === 0) return err({ status: 404, message: `no container "${ref}"${host === undefined ? '' : ` on "${host}"`}` });
    const onHosts = new Set(recorded.map((c) => c.host));
    if (onHosts.size > 1) return err({ status: 400, message: `"${ref}" was on several hosts (${[...onHosts].join(', ')}): name the host` });
    const c = recorded[0]!;
    return ok({ host: c.host, id: c.id, name: c.name, key: c.key });
  }

  /** The points of a container over a query's span, refused unread when they would be more than `maxPoints`. */
  range(c: HistoryContainer, q: HistoryQuery, maxPoints?: number): Result<HistoryRange, RangeError> {
    return answerRange(this.ctx, { host: c.host, id: c.id, name: c.name }, c.key, q, maxPoints);
  }
}
