/**
 * Which dashboard sessions have ended. A session cookie is signed, so it needs no lookup to be believed; what
 * the gateway keeps is only what ends one before its expiry: the current epoch (a random name that every
 * cookie carries; "log out everywhere" draws a new one, which ends every session at once) and the ids of the
 * sessions logged out one by one, each kept until its cookie would have expired anyway. Both are kept in the
 * state directory, so that a restart neither ends the sessions still open nor brings back those that ended.
 * The kept ids are bounded: past `MAX_ENDED_SESSIONS` a new epoch is drawn instead, which ends every session
 * rather than forgetting one that was logged out.
 */
import { randomBytes } from 'node:crypto';
import { isFiniteNumber, isObject } from '@dockpulse/shared';
import type { StateDir } from './state-dir.js';

/** What a session cookie names: its id, the epoch it was issued in, and its expiry (ms since the epoch). */
export interface SessionRef {
  id: string;
  epoch: string;
  exp: number;
}

/** Most sessions kept as logged out at once; past it, every session is ended. */
export const MAX_ENDED_SESSIONS = 10_000;

/** A change not yet kept is tried again this often, until it is. */
const RESAVE_MS = 5000;

const FILE = 'sessions.json';

/** What is kept. */
export interface SessionState {
  epoch: string;
  ended: { id: string; exp: number }[];
}

/** Where the state is kept. */
export interface SessionPersistence {
  /** The state as stored, or undefined when there is none (parsed by the store). */
  load(): Promise<unknown>;
  save(state: SessionState): Promise<void>;
}

/** The state as one file in the state directory, replaced atomically on every change. */
export class FileSessions implements SessionPersistence {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: StateDir) {}

  load(): Promise<unknown> {
    return this.dir.readJson(FILE);
  }

  /** Writes are serialized so that two quick changes never race on the file. */
  save(state: SessionState): Promise<void> {
    this.writing = this.writing.catch(() => {}).then(() => this.dir.writeJson(FILE, state));
    return this.writing;
  }
}

/** Whether a change was kept: `unsaved` changes are in force here and retried until they are kept. */
export type SessionChange = 'saved' | 'unsaved';

/** Sessions that ended before their expiry, kept where `persistence` keeps them. */
export class SessionStore {
  private epochName: string;
  private readonly ended = new Map<string, number>();
  private readonly listeners = new Set<(ended: (ref: SessionRef) => boolean) => void>();
  /** Changes made, and the last of them kept: the state is unsaved while they differ. */
  private changes = 0;
  private kept = 0;
  private resaveTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly persistence: SessionPersistence,
    private readonly now: () => number,
    state: SessionState | undefined,
  ) {
    this.epochName = state?.epoch ?? newEpoch();
    for (const e of state?.ended ?? []) this.ended.set(e.id, e.exp);
  }

  /**
   * Loads the state; one that cannot be read or parsed starts a new epoch, which ends every session issued
   * before (a lost file must not bring back a session that was logged out).
   */
  static async open(persistence: SessionPersistence, now: () => number = Date.now): Promise<SessionStore> {
    let state: SessionState | undefined;
    try {
      state = parseSessionState(await persistence.load());
    } catch {
      state = undefined;
    }
    const store = new SessionStore(persistence, now, state);
    if (!state) await store.save();
    return store;
  }

  /** The epoch new sessions are issued in. */
  get epoch(): string {
    return this.epochName;
  }

  /** True when a session was logged out, or belongs to an epoch that ended. */
  isEnded(ref: SessionRef): boolean {
    return ref.epoch !== this.epochName || this.ended.has(ref.id);
  }

  /** Ends one session: at once here (its cookie is refused, its sockets are told), then kept. */
  end(ref: SessionRef): Promise<SessionChange> {
    if (this.isEnded(ref)) return Promise.resolve('saved');
    this.prune();
    if (this.ended.size >= MAX_ENDED_SESSIONS) return this.endAll();
    this.ended.set(ref.id, ref.exp);
    this.announce((r) => r.id === ref.id);
    return this.save();
  }

  /** Ends every session ("log out everywhere"): a new epoch, at once here, then kept. */
  endAll(): Promise<SessionChange> {
    const old = this.epochName;
    this.epochName = newEpoch();
    this.ended.clear();
    this.announce((r) => r.epoch === old);
    return this.save();
  }

  /** Calls `fn` when sessions end, with a test of which; returns the unsubscribe. */
  onEnd(fn: (ended: (ref: SessionRef) => boolean) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** True while a change is in force here but not yet kept. */
  get unsaved(): boolean {
    return this.kept < this.changes;
  }

  /** Stops retrying an unsaved change, after one last try; true when it is still not kept (a restart undoes it). */
  async close(): Promise<boolean> {
    clearTimeout(this.resaveTimer);
    this.resaveTimer = undefined;
    if (this.unsaved) await this.save();
    clearTimeout(this.resaveTimer);
    this.resaveTimer = undefined;
    return this.unsaved;
  }

  private announce(match: (ref: SessionRef) => boolean): void {
    for (const fn of [...this.listeners]) fn(match);
  }

  private async save(): Promise<SessionChange> {
    const change = ++this.changes;
    try {
      await this.persistence.save({ epoch: this.epochName, ended: [...this.ended].map(([id, exp]) => ({ id, exp })) });
      this.kept = Math.max(this.kept, change);
      return 'saved';
    } catch {
      this.resaveTimer ??= setTimeout(() => {
        this.resaveTimer = undefined;
        if (this.unsaved) void this.save();
      }, RESAVE_MS);
      return 'unsaved';
    }
  }

  private prune(): void {
    const now = this.now();
    for (const [id, exp] of this.ended) if (exp <= now) this.ended.delete(id);
  }
}

function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Parses the stored state; undefined when it is absent or malformed. */
export function parseSessionState(v: unknown): SessionState | undefined {
  if (!isObject(v) || typeof v['epoch'] !== 'string' || !ID.test(v['epoch']) || !Array.isArray(v['ended'])) return undefined;
  const ended: SessionState['ended'] = [];
  for (const e of v['ended'] as unknown[]) {
    if (!isObject(e) || typeof e['id'] !== 'string' || !ID.test(e['id']) || !isFiniteNumber(e['exp'])) return undefined;
    ended.push({ id: e['id'], exp: e['exp'] });
  }
  return ended.length > MAX_ENDED_SESSIONS ? undefined : { epoch: v['epoch'], ended };
}
