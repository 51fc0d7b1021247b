/** Grouping the overview's rows by compose project. */

export interface Group<T> {
  /** The compose project; empty for containers outside compose. */
  project: string;
  rows: T[];
}

/**
 * Splits sorted rows into groups by project, keeping the row order inside each group. Groups are in project
 * name order, with the containers outside compose last.
 */
export function groupByProject<T>(rows: readonly T[], projectOf: (row: T) => string): Group<T>[] {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const p = projectOf(r);
    const list = groups.get(p);
    if (list) list.push(r);
    else groups.set(p, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b, 'en', { numeric: true })))
    .map(([project, rows]) => ({ project, rows }));
}
