/**
 * The history store: SQLite (better-sqlite3) in the state directory. Every container ever recorded has a row
 * in `containers`; its points are in `minute` and `hour`, one row per container and step, each figure as its
 * average, least, greatest and last value. Figures are stored as integers (CPU and memory percent in
 * hundredths), which SQLite packs into one to six bytes each.
 *
 * Points are merged, never replaced: a point written again for a step that has one (a gateway restarted in the
 * middle of a minute; each minute's point added into its hour) combines with it, weighted by samples.
 */
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { HISTORY_METRICS, type HistoryMetric } from '@dockpulse/shared';
import { METRIC_COUNT, summary, type Point } from './rollup.js';

/** The stored tiers and their steps in seconds. */
export const TIER_STEP = { minute: 60, hour: 3600 } as const;
export type StoredTier = keyof typeof TIER_STEP;

const COLUMN: Record<HistoryMetric, string> = {
  cpu: 'cpu',
  mem: 'mem',
  memPercent: 'mem_pct',
  netRx: 'net_rx',
  netTx: 'net_tx',
  blkRead: 'blk_read',
  blkWrite: 'blk_write',
  pids: 'pids',
};
/** Stored integer = figure × scale. */
const SCALE: Record<HistoryMetric, number> = {
  cpu: 100,
  mem: 1,
  memPercent: 100,
  netRx: 1,
  netTx: 1,
  blkRead: 1,
  blkWrite: 1,
  pids: 1,
};
const PARTS = ['avg', 'min', 'max', 'last'] as const;

const SCHEMA_VERSION = 1;

/** A container the store knows, live or gone. */
export interface StoredContainer {
  key: number;
  host: string;
  id: string;
  name: string;
  image: string;
  /** Seconds since the epoch of its first and last recorded points. */
  firstSeen: number;
  lastSeen: number;
}

/** One aggregated row of a query: the step's start (s) and, per figure asked, avg, min, max (unscaled). */
export interface QueryRow {
  t: number;
  figures: ([number | null, number | null, number | null] | undefined)[];
}

function pointsTable(name: StoredTier): string {
  const cols = HISTORY_METRICS.flatMap((m) => PARTS.map((p) => `${COLUMN[m]}_${p} INTEGER`)).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${name} (key INTEGER NOT NULL, t INTEGER NOT NULL, n INTEGER NOT NULL, ${cols}, PRIMARY KEY (key, t)) WITHOUT ROWID`;
}

/** `INSERT … ON CONFLICT DO UPDATE` that merges a point into the one of its step. */
function upsert(name: StoredTier): string {
  const cols = HISTORY_METRICS.flatMap((m) => PARTS.map((p) => `${COLUMN[m]}_${p}`));
  const merge = HISTORY_METRICS.flatMap((m) => {
    const c = COLUMN[m];
    return [
      `${c}_avg = CASE WHEN ${c}_avg IS NULL THEN excluded.${c}_avg WHEN excluded.${c}_avg IS NULL THEN ${c}_avg ` +
        `ELSE CAST(round((${c}_avg * n + excluded.${c}_avg * excluded.n) * 1.0 / (n + excluded.n)) AS INTEGER) END`,
      `${c}_min = coalesce(min(${c}_min, excluded.${c}_min), ${c}_min, excluded.${c}_min)`,
      `${c}_max = coalesce(max(${c}_max, excluded.${c}_max), ${c}_max, excluded.${c}_max)`,
      `${c}_last = coalesce(excluded.${c}_last, ${c}_last)`,
    ];
  });
  return (
    `INSERT INTO ${name} (key, t, n, ${cols.join(', ')}) VALUES (?, ?, ?, ${cols.map(() => '?').join(', ')}) ` +
    `ON CONFLICT (key, t) DO UPDATE SET ${merge.join(', ')}, n = n + excluded.n`
  );
}

/** A point's values in column order, scaled to integers. */
function values(p: Point): (number | null)[] {
  const out: (number | null)[] = [];
  for (let i = 0; i < METRIC_COUNT; i++) {
    const scale = SCALE[HISTORY_METRICS[i]!];
    for (const v of summary(p.figures[i])) out.push(v === null ? null : Math.round(v * scale));
  }
  return out;
}

interface ContainerRow {
  key: number;
  host: string;
  id: string;
  name: string;
  image: string;
  first_seen: number;
  last_seen: number;
}

function fromRow(r: ContainerRow): StoredContainer {
  return { key: r.key, host: r.host, id: r.id, name: r.name, image: r.image, firstSeen: r.first_seen, lastSeen: r.last_seen };
}

/** The history database. Synchronous, as better-sqlite3 is: each call is short and batched by the caller. */
export class HistoryStore {
  private readonly db: Db;
  private readonly keys = new Map<string, { key: number; name: string; image: string; hour: number }>();
  private readonly insert: Record<StoredTier, Statement>;
  private readonly saveContainer: Statement;
  private readonly keyOf: Statement;

  private constructor(db: Db) {
    this.db = db;
    this.insert = { minute: db.prepare(upsert('minute')), hour: db.prepare(upsert('hour')) };
    this.saveContainer = db.prepare(
      `INSERT INTO containers (host, id, name, image, first_seen, last_seen) VALUES (@host, @id, @name, @image, @t, @t)
       ON CONFLICT (host, id) DO UPDATE SET name = excluded.name, image = excluded.image,
         last_seen = max(last_seen, excluded.last_seen), first_seen = min(first_seen, excluded.first_seen)`,
    );
    this.keyOf = db.prepare('SELECT key FROM containers WHERE host = ? AND id = ?');
  }

  /** Opens (creating when needed) the database at `path`. */
  static open(path: string): HistoryStore {
    const db = new Database(path);
    try {
      // Before any table exists: pages freed by pruning go back to the file's end and can be given back.
      db.pragma('auto_vacuum = INCREMENTAL');
      db.pragma('journal_mode = WAL');
      // With WAL, NORMAL loses at most the last transactions on a power cut, never the database.
      db.pragma('synchronous = NORMAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`${path} was written by a newer dockpulse (schema ${version})`);
      db.exec(`
        CREATE TABLE IF NOT EXISTS containers (
          key INTEGER PRIMARY KEY, host TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, image TEXT NOT NULL,
          first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, UNIQUE (host, id));
        CREATE INDEX IF NOT EXISTS containers_by_name ON containers (name, last_seen);
        ${pointsTable('minute')};
        ${pointsTable('hour')};
      `);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new HistoryStore(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /**
   * Writes finished minute points, each also merged into its hour, in one transaction. `describe` names each
   * point's container (its name and image when last seen).
   */
  write(points: readonly Point[], describe: (host: string, id: string) => { name: string; image: string }): void {
    if (points.length === 0) return;
    this.db.transaction(() => {
      for (const p of points) {
        const key = this.containerKey(p.host, p.id, p.t, describe);
        const v = values(p);
        this.insert.minute.run(key, p.t, p.n, ...v);
        this.insert.hour.run(key, Math.floor(p.t / TIER_STEP.hour) * TIER_STEP.hour, p.n, ...v);
      }
    })();
  }

  private containerKey(
    host: string,
    id: string,
    t: number,
    describe: (host: string, id: string) => { name: string; image: string },
  ): number {
    const k = `${host}/${id}`;
    const { name, image } = describe(host, id);
    const hour = Math.floor(t / TIER_STEP.hour);
    const known = this.keys.get(k);
    // The row is written when the container is new, renamed, or in a new hour: its last time is kept to the
    // hour, enough to prune it and to find the latest container of a name.
    if (known && known.name === name && known.image === image && known.hour === hour) return known.key;
    this.saveContainer.run({ host, id, name, image, t });
    const key = known?.key ?? (this.keyOf.get(host, id) as { key: number }).key;
    this.keys.set(k, { key, name, image, hour });
    return key;
  }

  /** A container by host and full id. */
  container(host: string, id: string): StoredContainer | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE host = ? AND id = ?').get(host, id) as ContainerRow | undefined;
    return r && fromRow(r);
  }

  /**
   * The containers a reference can mean among those recorded: a full id, an id prefix of 12 or more digits,
   * or a name; on one host or any. The most recently seen first.
   */
  lookup(host: string | undefined, ref: string): StoredContainer[] {
    const name = ref.replace(/^\//, '');
    const byHost = host === undefined ? '' : ' AND host = @host';
    const prefix = /^[0-9a-f]{12,64}$/.test(ref) ? ref : undefined;
    const rows = this.db
      .prepare(
        `SELECT * FROM containers WHERE (name = @name${prefix ? ' OR substr(id, 1, @len) = @prefix' : ''})${byHost} ORDER BY last_seen DESC LIMIT 50`,
      )
      .all({ name, host, ...(prefix ? { prefix, len: prefix.length } : {}) }) as ContainerRow[];
    return rows.map(fromRow);
  }

  /**
   * The points of a container from `fromS` to `toS` (seconds, inclusive of the step that holds `fromS`),
   * aggregated over steps of `stepS` (a multiple of the tier's), for the figures asked.
   */
  query(key: number, tier: StoredTier, fromS: number, toS: number, stepS: number, metrics: readonly HistoryMetric[]): QueryRow[] {
    // Rows come in time order from the primary key; steps are summed here rather than by GROUP BY, which
    // would sort every row again in a temporary tree.
    const columns = metrics.map((m) => `${COLUMN[m]}_avg, ${COLUMN[m]}_min, ${COLUMN[m]}_max`).join(', ');
    const rows = this.db
      .prepare(`SELECT t, n, ${columns} FROM ${tier} WHERE key = ? AND t >= ? AND t <= ? ORDER BY t`)
      .raw()
      .all(key, Math.floor(fromS / stepS) * stepS, toS) as (number | null)[][];
    const out: QueryRow[] = [];
    const k = metrics.length;
    let current: { t: number; sum: number[]; weight: number[]; min: (number | null)[]; max: (number | null)[] } | undefined;
    const finish = (): void => {
      if (!current) return;
      const c = current;
      out.push({
        t: c.t,
        figures: metrics.map((m, i) => {
          const scale = SCALE[m];
          const avg = c.weight[i]! > 0 ? c.sum[i]! / c.weight[i]! / scale : null;
          return [avg, c.min[i] === null ? null : c.min[i]! / scale, c.max[i] === null ? null : c.max[i]! / scale];
        }),
      });
    };
    for (const r of rows) {
      const b = Math.floor(r[0]! / stepS) * stepS;
      if (current?.t !== b) {
        finish();
        current = {
          t: b,
          sum: new Array<number>(k).fill(0),
          weight: new Array<number>(k).fill(0),
          min: new Array<number | null>(k).fill(null),
          max: new Array<number | null>(k).fill(null),
        };
      }
      const n = r[1]!;
      for (let i = 0; i < k; i++) {
        const avg = r[2 + i * 3];
        const min = r[3 + i * 3];
        const max = r[4 + i * 3];
        if (avg !== null && avg !== undefined) {
          current.sum[i]! += avg * n;
          current.weight[i]! += n;
        }
        if (min !== null && min !== undefined && (current.min[i] === null || min < current.min[i]!)) current.min[i] = min;
        if (max !== null && max !== undefined && (current.max[i] === null || max > current.max[i]!)) current.max[i] = max;
      }
    }
    finish();
    return out;
  }

  /** Deletes what is older than each tier keeps, and the containers with no point left; returns rows deleted. */
  prune(nowS: number, keepS: Record<StoredTier, number>): number {
    let deleted = 0;
    this.db.transaction(() => {
      deleted += this.db.prepare('DELETE FROM minute WHERE t < ?').run(nowS - keepS.minute).changes;
      deleted += this.db.prepare('DELETE FROM hour WHERE t < ?').run(nowS - keepS.hour).changes;
      const oldest = nowS - Math.max(keepS.minute, keepS.hour);
      const gone = this.db.prepare('SELECT key, host, id FROM containers WHERE last_seen < ?').all(oldest) as ContainerRow[];
      for (const c of gone) this.keys.delete(`${c.host}/${c.id}`);
      deleted += this.db.prepare('DELETE FROM containers WHERE last_seen < ?').run(oldest).changes;
    })();
    if (deleted > 0) this.db.pragma('incremental_vacuum');
    return deleted;
  }

  /** Rows in each table, and the file's size in bytes (pages × page size), for benchmarks and /metrics. */
  size(): { containers: number; minute: number; hour: number; bytes: number } {
    const count = (table: string): number => (this.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number) ?? 0;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    return { containers: count('containers'), minute: count('minute'), hour: count('hour'), bytes: pages * pageSize };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
