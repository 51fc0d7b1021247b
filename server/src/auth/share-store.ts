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

/**
 * The list of share links and their revocations, kept in the state directory so that both survive a
 * restart. Tokens are not stored: they are signed claims, checked against this list for revocation.
 */
export class ShareStore {
  private shares = new Map<string, Share>();
  private readonly listeners = new Set<(share: Share) => void>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: StateDir,
    private readonly secret: Buffer,
    private readonly now: () => number,
  ) {}

  /** Loads the store from `dir`; tokens are signed with `secret`. */
  static async open(dir: StateDir, secret: Buffer, now: () => number = Date.now): Promise<ShareStore> {
    const store = new ShareStore(dir, secret, now);
    const raw = await dir.readJson(FILE);
    if (isObject(raw) && Array.isArray(raw['shares'])) {
      for (const s of raw['shares']) {
        const share = parseShare(s);
        if (share) store.shares.set(share.id, share);
      }
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
    if (this.shares.size >= MAX_SHARES) return 'full';
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
    this.shares.set(share.id, share);
    await this.save();
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

  /** Revokes a share; false when there is no such active share. */
  async revoke(id: string): Promise<boolean> {
    const share = this.shares.get(id);
    if (!share || share.revokedAt !== undefined) return false;
    share.revokedAt = this.now();
    await this.save();
    for (const fn of [...this.listeners]) fn(share);
    return true;
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

  /** Writes are serialized so that two quick changes never race on the file. */
  private save(): Promise<void> {
    const snapshot = { shares: [...this.shares.values()] };
    this.writing = this.writing.catch(() => {}).then(() => this.dir.writeJson(FILE, snapshot));
    return this.writing;
  }
}

function parseShare(v: unknown): Share | undefined {
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
