/**
 * Alert rules and the history of their firings: SQLite (better-sqlite3) in the state directory, a file of its
 * own beside the history's. A rule is stored as the JSON it was parsed into, and parsed again when read, so a
 * row written by another version is checked like any input.
 */
import Database, { type Database as Db, type Statement } from 'better-sqlite3';
import { parseAlertRule, parseDeliveryOutcome, type AlertRule, type DeliveryOutcome } from '@dockpulse/shared';

const SCHEMA_VERSION = 1;

/** Firings kept per rule; older ones are deleted as new ones come. */
const FIRINGS_PER_RULE = 1000;

/** A firing as the store keeps it. */
export interface StoredFiring {
  id: number;
  ruleId: string;
  host: string;
  containerId: string;
  containerName: string;
  value: number | null;
  /** ms since the epoch. */
  firedAt: number;
  resolvedAt: number | null;
  /** How the notification of its firing went, per target; null until it is known. */
  delivery: DeliveryOutcome[] | null;
}

interface FiringRow {
  id: number;
  rule_id: string;
  host: string;
  container_id: string;
  container_name: string;
  value: number | null;
  fired_at: number;
  resolved_at: number | null;
  delivery: string | null;
}

/** The alerts database; see the module comment. */
export class AlertStore {
  private readonly insertRule: Statement<[string, number, string]>;
  private readonly deleteRule: Statement<[string]>;
  private readonly insertFiring: Statement<[string, string, string, string, number | null, number]>;
  private readonly resolveFiring: Statement<[number, number]>;
  private readonly setDelivery: Statement<[string, number]>;
  private readonly trimFirings: Statement<[string, string, number]>;

  private constructor(private readonly db: Db) {
    this.insertRule = db.prepare('INSERT INTO rules (id, created_at, body) VALUES (?, ?, ?)');
    this.deleteRule = db.prepare('DELETE FROM rules WHERE id = ?');
    this.insertFiring = db.prepare(
      'INSERT INTO firings (rule_id, host, container_id, container_name, value, fired_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.resolveFiring = db.prepare('UPDATE firings SET resolved_at = ? WHERE id = ?');
    this.setDelivery = db.prepare('UPDATE firings SET delivery = ? WHERE id = ?');
    this.trimFirings = db.prepare(
      'DELETE FROM firings WHERE rule_id = ? AND id NOT IN (SELECT id FROM firings WHERE rule_id = ? ORDER BY id DESC LIMIT ?)',
    );
  }

  /** Opens (and creates, or upgrades) the database at `path`. */
  static open(path: string): AlertStore {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`${path} was written by a newer dockpulse (schema ${version})`);
      db.exec(`
        CREATE TABLE IF NOT EXISTS rules (
          id TEXT PRIMARY KEY,
          created_at INTEGER NOT NULL,
          body TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS firings (
          id INTEGER PRIMARY KEY,
          rule_id TEXT NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
          host TEXT NOT NULL,
          container_id TEXT NOT NULL,
          container_name TEXT NOT NULL,
          value REAL,
          fired_at INTEGER NOT NULL,
          resolved_at INTEGER,
          delivery TEXT
        );
        CREATE INDEX IF NOT EXISTS firings_by_rule ON firings (rule_id, id);
      `);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new AlertStore(db);
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** Every stored rule that still parses, oldest first; `skipped` counts those that do not. */
  rules(): { rules: AlertRule[]; skipped: number } {
    const rows = this.db.prepare('SELECT id, created_at, body FROM rules ORDER BY created_at, id').all() as {
      id: string;
      created_at: number;
      body: string;
    }[];
    const rules: AlertRule[] = [];
    let skipped = 0;
    for (const row of rows) {
      let raw: unknown;
      try {
        raw = JSON.parse(row.body);
      } catch {
        raw = undefined;
      }
      const parsed = parseAlertRule(raw);
      if (parsed.ok) rules.push({ ...parsed.value, id: row.id, createdAt: row.created_at });
      else skipped++;
    }
    return { rules, skipped };
  }

  addRule(rule: AlertRule): void {
    const { id, createdAt, ...body } = rule;
    this.insertRule.run(id, createdAt, JSON.stringify(body));
  }

  /** Deletes a rule and its firings; false when there was none. */
  removeRule(id: string): boolean {
    return this.deleteRule.run(id).changes > 0;
  }

  /** Records a firing; returns its id. */
  fired(ruleId: string, c: { host: string; id: string; name: string }, value: number | null, at: number): number {
    const id = Number(this.insertFiring.run(ruleId, c.host, c.id, c.name, value, at).lastInsertRowid);
    this.trimFirings.run(ruleId, ruleId, FIRINGS_PER_RULE);
    return id;
  }

  resolved(firingId: number, at: number): void {
    this.resolveFiring.run(at, firingId);
  }

  delivered(firingId: number, outcomes: DeliveryOutcome[]): void {
    this.setDelivery.run(JSON.stringify(outcomes), firingId);
  }

  /** The firings of a rule (every rule's when undefined), newest first. */
  firings(ruleId?: string, limit = 100): StoredFiring[] {
    const rows = (
      ruleId === undefined
        ? this.db.prepare('SELECT * FROM firings ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM firings WHERE rule_id = ? ORDER BY id DESC LIMIT ?').all(ruleId, limit)
    ) as FiringRow[];
    return rows.map(toFiring);
  }

  /** Firings not resolved yet: those a gateway that stopped left open. */
  open(): StoredFiring[] {
    return (this.db.prepare('SELECT * FROM firings WHERE resolved_at IS NULL ORDER BY id').all() as FiringRow[]).map(toFiring);
  }

  close(): void {
    this.db.close();
  }
}

function toFiring(row: FiringRow): StoredFiring {
  let delivery: DeliveryOutcome[] | null = null;
  if (row.delivery !== null) {
    try {
      const parsed: unknown = JSON.parse(row.delivery);
      const outcomes = Array.isArray(parsed) ? parsed.map(parseDeliveryOutcome) : [undefined];
      if (outcomes.every((o) => o !== undefined)) delivery = outcomes;
    } catch {
      delivery = null;
    }
  }
  return {
    id: row.id,
    ruleId: row.rule_id,
    host: row.host,
    containerId: row.container_id,
    containerName: row.container_name,
    value: row.value,
    firedAt: row.fired_at,
    resolvedAt: row.resolved_at,
    delivery,
  };
}
