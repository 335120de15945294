import type { CatalogTable } from '../types.js';

export function qualifiedName(table: Pick<CatalogTable, 'schema' | 'name'>): string {
  return `${table.schema}.${table.name}`;
}

/** A foreign key as the generator needs it: local columns, parent table and parent columns. */
export interface ForeignKey {
  name: string;
  columns: string[];
  parent: string;
  parentColumns: string[];
}

/** Split a column list as printed by pg_get_constraintdef: `a, "B c"` → ['a', 'B c']. */
export function splitIdentifiers(list: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,\s]+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < list.length && (m = re.exec(list)) !== null) {
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : (m[2] ?? ''));
  }
  return out.filter((s) => s.length > 0);
}

export function foreignKeys(table: CatalogTable): ForeignKey[] {
  const keys: ForeignKey[] = [];
  for (const c of table.constraints) {
    if (c.type !== 'f' || !c.references) continue;
    const m = /REFERENCES\s+(?:[^(]+)\(([^)]*)\)/i.exec(c.definition);
    const parentColumns = m?.[1] ? splitIdentifiers(m[1]) : [];
    const local = c.columns.length > 0 ? c.columns : splitIdentifiers(/FOREIGN KEY\s*\(([^)]*)\)/i.exec(c.definition)?.[1] ?? '');
    if (parentColumns.length !== local.length || local.length === 0) continue;
    keys.push({ name: c.name, columns: local, parent: c.references, parentColumns });
  }
  return keys;
}

/**
 * Tables ordered parents before children. Self-references do not count as edges; in a cycle the
 * table first met is emitted first and its foreign keys into the cycle are reported as `deferred`
 * (filled with NULL when nullable).
 */
export function fillOrder(tables: CatalogTable[]): { order: CatalogTable[]; deferred: Set<string> } {
  const byName = new Map(tables.map((t) => [qualifiedName(t), t]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: CatalogTable[] = [];
  const deferred = new Set<string>(); // `${table}\0${constraint}`

  const visit = (name: string): void => {
    const table = byName.get(name);
    if (!table || state.get(name) === 'done') return;
    state.set(name, 'visiting');
    for (const fk of foreignKeys(table)) {
      if (fk.parent === name || !byName.has(fk.parent)) continue;
      if (state.get(fk.parent) === 'visiting') {
        deferred.add(`${name}\0${fk.name}`);
        continue;
      }
      visit(fk.parent);
    }
    state.set(name, 'done');
    order.push(table);
  };
  for (const name of [...byName.keys()].sort()) visit(name);
  return { order, deferred };
}
