/** Grouping the overview's rows: by compose project, or by host. */

/** What the overview groups by. */
export type Grouping = 'none' | 'project' | 'host';

export interface Group<T> {
  /** The compose project or the host; empty for the containers outside compose. */
  key: string;
  rows: T[];
}

/**
 * Splits sorted rows into groups by a key, keeping the row order inside each group. Groups are in key order
 * (numbers in keys by value), with the empty key (containers outside compose) last.
 */
export function groupRows<T>(rows: readonly T[], keyOf: (row: T) => string): Group<T>[] {
  const groups = new Map<string, T[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = groups.get(k);
    if (list) list.push(r);
    else groups.set(k, [r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b, 'en', { numeric: true })))
    .map(([key, rows]) => ({ key, rows }));
}

/** The grouping a `?group=` value names: `1` (as the first addresses wrote it) or `project`, and `host`. */
export function parseGrouping(value: string | null): Grouping {
  if (value === '1' || value === 'project') return 'project';
  if (value === 'host') return 'host';
  return 'none';
}

/** The `?group=` value of a grouping; null for none. Grouping by project keeps the first addresses' `1`. */
export function groupingParam(grouping: Grouping): string | null {
  switch (grouping) {
    case 'none':
      return null;
    case 'project':
      return '1';
    case 'host':
      return 'host';
  }
}
