import { mentionsName } from '../text/mentions.js';
import type { CatalogSnapshot, CatalogTable } from '../types.js';

// The schema before the change, as compact CREATE TABLE-like text the model reads like a dump.

export function qualifiedName(table: { schema: string; name: string }): string {
  return table.schema === 'public' ? table.name : `${table.schema}.${table.name}`;
}

export function renderTable(table: CatalogTable): string {
  const lines: string[] = [];
  const rows = Math.max(0, Math.round(table.estimatedRows));
  lines.push(`CREATE TABLE ${table.schema}.${table.name} ( -- ~${rows.toLocaleString('en-US')} rows`);
  const body: string[] = table.columns.map(
    (c) => `  ${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}${c.default !== undefined ? ` DEFAULT ${c.default}` : ''}`,
  );
  for (const constraint of table.constraints) {
    if (constraint.type === 'n') continue; // NOT NULL is already on the column
    body.push(`  CONSTRAINT ${constraint.name} ${constraint.definition}${constraint.validated ? '' : ' -- NOT VALID'}`);
  }
  lines.push(body.join(',\n'));
  lines.push(');');
  const constraintNames = new Set(table.constraints.map((c) => c.name));
  for (const index of table.indexes) {
    if (index.primary || constraintNames.has(index.name)) continue; // shown as its constraint
    lines.push(`${index.definition};${index.valid ? '' : ' -- INVALID'}`);
  }
  return lines.join('\n');
}

/** Enums, extensions and functions: the rest of the schema, one short block. */
export function renderSchemaExtras(catalog: CatalogSnapshot): string {
  const lines: string[] = [];
  if (catalog.extensions.length) lines.push(`-- extensions: ${catalog.extensions.join(', ')}`);
  for (const e of catalog.enums) {
    lines.push(`CREATE TYPE ${e.schema}.${e.name} AS ENUM (${e.values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')});`);
  }
  if (catalog.functions.length) {
    const volatility = { i: 'IMMUTABLE', s: 'STABLE', v: 'VOLATILE' } as const;
    lines.push(`-- functions: ${catalog.functions.map((f) => `${f.schema}.${f.name} (${volatility[f.volatility]})`).join(', ')}`);
  }
  return lines.join('\n');
}

/** Tables whose name appears in the migrations or findings: their schema matters most. */
export function touchedTables(catalog: CatalogSnapshot, texts: string[]): Set<CatalogTable> {
  const haystack = texts.join('\n').toLowerCase();
  const touched = new Set<CatalogTable>();
  for (const table of catalog.tables) {
    if (mentionsName(haystack, table.name.toLowerCase())) touched.add(table);
  }
  return touched;
}
