/**
 * The names dockpulse uses on NATS, all under one prefix (`dockpulse` by default), one host per subject
 * token: what an agent publishes, the JetStream stream that keeps recent samples, and the key-value buckets
 * that hold each host's record and the share links. `docs/bus.md` documents them for others to publish or
 * consume.
 */
import { isHostName } from '@dockpulse/shared';

/** What an agent publishes about its host. */
export type HostSubject = 'samples' | 'heartbeat' | 'events';

/** Every name derived from one prefix. */
export interface BusNames {
  prefix: string;
  /** `<prefix>.host.<host>.<kind>` */
  host(host: string, kind: HostSubject): string;
  /** `<prefix>.host.*.<kind>`: every host's subject of one kind. */
  allHosts(kind: HostSubject): string;
  /** The JetStream stream of every host's samples, kept for the history window. */
  samplesStream: string;
  /** The KV bucket of host records (the container list, the engine's state), one key per host. */
  hostsBucket: string;
  /** The KV bucket of share links and their revocations, one key per share. */
  sharesBucket: string;
}

/** The names under `prefix` (already checked to be dot-separated subject tokens). */
export function busNames(prefix: string): BusNames {
  // Stream and bucket names may not hold dots.
  const flat = prefix.replace(/\./g, '_');
  return {
    prefix,
    host: (host, kind) => `${prefix}.host.${host}.${kind}`,
    allHosts: (kind) => `${prefix}.host.*.${kind}`,
    samplesStream: `${flat.toUpperCase()}_SAMPLES`,
    hostsBucket: `${flat}_hosts`,
    sharesBucket: `${flat}_shares`,
  };
}

/**
 * The host a subject of ours names, and which kind it is; undefined for a subject that is not
 * `<prefix>.host.<host>.<kind>` with a valid host name and a known kind.
 */
export function parseHostSubject(names: BusNames, subject: string): { host: string; kind: HostSubject } | undefined {
  const head = `${names.prefix}.host.`;
  if (!subject.startsWith(head)) return undefined;
  const rest = subject.slice(head.length).split('.');
  if (rest.length !== 2) return undefined;
  const [host, kind] = rest as [string, string];
  if (!isHostName(host) || (kind !== 'samples' && kind !== 'heartbeat' && kind !== 'events')) return undefined;
  return { host, kind };
}
