import type { CatalogSnapshot } from '../types.js';

/** A table as a reviewer wants to see it: columns, indexes, constraints, row estimate. */
export function describeTable(catalog: CatalogSnapshot, name: string): string {
  const [schema, table] = name.includes('.') ? name.split('.', 2) : [undefined, name];
  const match = catalog.tables.find((t) => t.name === table && (schema === undefined || t.schema === schema));
  if (!match) return `No table named ${name}.`;
  const lines = [`Table ${match.schema}.${match.name} (~${match.estimatedRows} rows)`];
  for (const c of match.columns) {
    lines.push(`  ${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}${c.default ? ` DEFAULT ${c.default}` : ''}`);
  }
  if (match.indexes.length > 0) lines.push('Indexes:', ...match.indexes.map((i) => `  ${i.definition}${i.valid ? '' : ' (INVALID)'}`));
  if (match.constraints.length > 0) {
    lines.push('Constraints:', ...match.constraints.map((c) => `  ${c.name} ${c.definition}${c.validated ? '' : ' (NOT VALID)'}`));
  }
  return lines.join('\n');
}
