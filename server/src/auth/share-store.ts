import { randomBytes } from 'node:crypto';
import { isFiniteNumber, isObject } from '@dockpulse/shared';
import type { StateDir } from './state-dir.js';
import { signShare, verifyShare, type ShareClaims, type TokenError } from './signed-token.js';

/** A share link as the dashboard lists it. */
export interface Share {
  id: string;
  /** Container id when created. */
  container: string;
  /** The container's host; absent for links made before a gateway served several hosts. */
  host?: string;
  /** Container name when created. */
  name: string;
  follow: boolean;
  createdAt: number;
  expiresAt: number;
  revokedAt?: number;
}

/** Why a share token does not open a socket. */
export type ShareError = TokenError | 'revoked';

const FILE = 'shares.json';

/** Shares are forgotten this long after they expire or are revoked. */
const KEEP_ENDED_MS = 7 * 24 * 3_600_000;

/** Most shares kept at once; creating one more is refused. */
export const MAX_SHARES = 1000;

/** Where the shares are kept: the state directory of one gateway, or a bucket that several share. */
export interface SharePersistence {
  /** Every share kept, as stored (parsed by the store). */
  load(): Promise<unknown[]>;
  /** Keeps a share that was created or changed; `all` is every share, for a store that writes them together. */
  save(changed: Share, all: readonly Share[]): Promise<void>;
}

/** The shares as one file in the state directory, replaced atomically on every change. */
export class FileShares implements SharePersistence {
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly dir: StateDir) {}

  async load(): Promise<unknown[]> {
    await this.dir.removeLeftovers(FILE);
    const raw = await this.dir.readJson(FILE);
    const shares: unknown = isObject(raw) ? raw['shares'] : undefined;
    return Array.isArray(shares) ? (shares as unknown[]) : [];
  }

  /** Writes are serialized so that two quick changes never race on the file. */
  save(_changed: Share, all: readonly Share[]): Promise<void> {
    const snapshot = { shares: [...all] };
    this.writing = this.writing.catch(() => {}).then(() => this.dir.writeJson(FILE, snapshot));
    return this.writing;
  }
}

/** A revocation not yet kept is tried again this often, until it is. */
const RESAVE_MS = 5000;

/**
 * The list of share links and their revocations, kept where `persistence` keeps them so that both survive a
 * restart. Tokens are not stored: they are signed claims, checked against this list for revocation.
 */
export class ShareStore {
  private shares = new Map<string, Share>();
  /**
   * Shares being created: not yet handed out, but in every list written meanwhile, so that a write that
   * lands after theirs does not drop them.
   */
  private readonly creating = new Map<string, Share>();
  private readonly listeners = new Set<(share: Share) => void>();
  /** Revocations in force here but not yet kept, tried again until they are. */
  private readonly unsaved = new Map<string, Share>();
  private resaveTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly persistence: SharePersistence,
    private readonly secret: Buffer,
    private readonly now: () => number,
  ) {}

  /** Loads the store from `persistence`; tokens are signed with `secret`. */
  static async open(persistence: SharePersistence, secret: Buffer, now: () => number = Date.now): Promise<ShareStore> {
    const store = new ShareStore(persistence, secret, now);
    for (const s of await persistence.load()) {
      const share = parseShare(s);
      if (share) store.shares.set(share.id, share);
    }
    return store;
  }

  /** Creates a share and its token. */
  async create(
    container: { host?: string; id: string; name: string },
    ttlMs: number,
    follow: boolean,
  ): Promise<{ share: Share; token: string } | 'full'> {
    this.prune();
    if (this.shares.size + this.creating.size >= MAX_SHARES) return 'full';
    const now = this.now();
    const share: Share = {
      id: randomBytes(9).toString('base64url'),
      container: container.id,
      name: container.name,
      ...(container.host !== undefined ? { host: container.host } : {}),
      follow,
      createdAt: now,
      expiresAt: now + ttlMs,
    };
    // Kept first: a link is handed out only once it will still open after a restart.
    this.creating.set(share.id, share);
    try {
      await this.persistence.save(share, this.all());
    } finally {
      this.creating.delete(share.id);
    }
    this.shares.set(share.id, share);
    return { share, token: this.tokenOf(share) };
  }

  /** The token of a share: its claims signed again, which gives the same token as at creation. */
  tokenOf(share: Share): string {
    const claims: ShareClaims = { sid: share.id, cid: share.container, follow: share.follow, exp: share.expiresAt };
    if (share.follow) claims.name = share.name;
    if (share.host !== undefined) claims.host = share.host;
    return signShare(this.secret, claims);
  }

  /** Shares not yet expired or revoked, newest first. */
  active(): Share[] {
    const now = this.now();
    return [...this.shares.values()]
      .filter((s) => s.revokedAt === undefined && s.expiresAt > now)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /**
   * Revokes a share: at once here (its token is refused, its sockets are closed), then kept. `unsaved` when
   * it could not be kept yet: it stays in force here and is tried again until it is, so that it is never
   * silently undone; revoking it again tries to keep it now. `none` when there is no such share, or its
   * revocation is already kept.
   */
  async revoke(id: string): Promise<'revoked' | 'unsaved' | 'none'> {
    const share = this.shares.get(id);
    if (!share || (share.revokedAt !== undefined && !this.unsaved.has(id))) return 'none';
    if (share.revokedAt === undefined) {
      share.revokedAt = this.now();
      for (const fn of [...this.listeners]) fn(share);
    }
    try {
      await this.persistence.save(share, this.all());
      this.unsaved.delete(share.id);
      return 'revoked';
    } catch {
      this.unsaved.set(share.id, share);
      this.resaveTimer ??= setTimeout(() => void this.resave(), RESAVE_MS);
      return 'unsaved';
    }
  }

  /** Revocations waiting to be kept, for the API and for tests. */
  get unsavedRevocations(): number {
    return this.unsaved.size;
  }

  /**
   * Takes in a share created or changed elsewhere (another gateway on the same bus): a new one is added, a
   * revocation takes effect here too.
   */
  apply(share: Share): void {
    const known = this.shares.get(share.id);
    if (!known) {
      this.shares.set(share.id, share);
      if (share.revokedAt === undefined) return;
    } else if (known.revokedAt !== undefined || share.revokedAt === undefined) {
      return;
    } else {
      known.revokedAt = share.revokedAt;
    }
    for (const fn of [...this.listeners]) fn(this.shares.get(share.id)!);
  }

  /** Every share to keep: those in force and those being created. */
  private all(): Share[] {
    return [...this.shares.values(), ...this.creating.values()];
  }

  /**
   * Stops retrying unsaved revocations, after one last try; the ids of those still not kept, which a restart
   * would undo (the caller says so loudly).
   */
  async close(): Promise<string[]> {
    clearTimeout(this.resaveTimer);
    this.resaveTimer = undefined;
    if (this.unsaved.size > 0) await this.resave(false);
    clearTimeout(this.resaveTimer);
    this.resaveTimer = undefined;
    return [...this.unsaved.keys()];
  }

  private async resave(again = true): Promise<void> {
    this.resaveTimer = undefined;
    for (const share of [...this.unsaved.values()]) {
      try {
        await this.persistence.save(share, this.all());
        this.unsaved.delete(share.id);
      } catch {
        break;
      }
    }
    if (again && this.unsaved.size > 0) this.resaveTimer = setTimeout(() => void this.resave(), RESAVE_MS);
  }

  /** Checks a share token: signature, expiry, and that its share was not revoked or forgotten. */
  verify(token: string): { ok: true; claims: ShareClaims } | { ok: false; error: ShareError } {
    const v = verifyShare(this.secret, token, this.now());
    if (!v.ok) return { ok: false, error: v.error };
    const share = this.shares.get(v.value.sid);
    if (!share || share.revokedAt !== undefined) return { ok: false, error: 'revoked' };
    return { ok: true, claims: v.value };
  }

  /** Calls `fn` when a share is revoked; returns the unsubscribe. */
  onRevoke(fn: (share: Share) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private prune(): void {
    const cutoff = this.now() - KEEP_ENDED_MS;
    for (const [id, s] of this.shares) if (Math.max(s.expiresAt, s.revokedAt ?? 0) < cutoff) this.shares.delete(id);
  }
}

/** Parses a stored share; undefined when it is malformed. */
export function parseShare(v: unknown): Share | undefined {
  if (!isObject(v)) return undefined;
  const { id, container, host, name, follow, createdAt, expiresAt, revokedAt } = v;
  if (
    typeof id !== 'string' ||
    typeof container !== 'string' ||
    typeof name !== 'string' ||
    typeof follow !== 'boolean' ||
    !isFiniteNumber(createdAt) ||
    !isFiniteNumber(expiresAt)
  ) {
    return undefined;
  }
  const share: Share = { id, container, name, follow, createdAt, expiresAt };
  if (isFiniteNumber(revokedAt)) share.revokedAt = revokedAt;
  if (typeof host === 'string') share.host = host;
  return share;
}
