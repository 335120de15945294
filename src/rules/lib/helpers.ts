import type { CatalogSnapshot, CatalogTable } from '../../types.js';
import { nearest, relationKey, relationLabel, type RangeVarLike } from './ast.js';
import type { RuleContext, RuleMeta, Visitors } from '../types.js';

export function docsPath(id: string): string {
  return `docs/rules/${id}.md`;
}

export function meta(m: Omit<RuleMeta, 'docs'>): RuleMeta {
  return { ...m, docs: docsPath(m.id) };
}

/** True unless the relation was created earlier in this change (new objects carry no traffic). */
export function isExisting(ctx: RuleContext, rv: RangeVarLike | undefined): boolean {
  return !ctx.created.hasTable(relationKey(rv));
}

/**
 * The visitors of a rule about ALTER TABLE commands on tables that existed before the change (a table the
 * change created carries no traffic): `visit` gets each command, its statement and the table's label.
 */
export function onExistingTableCommands(ctx: RuleContext, visit: (cmd: any, stmt: any, table: string) => void): Visitors {
  return {
    AlterTableCmd(cmd, ancestors) {
      const stmt = nearest(ancestors, 'AlterTableStmt');
      if (!stmt || !isExisting(ctx, stmt.relation)) return;
      visit(cmd, stmt, relationLabel(stmt.relation));
    },
  };
}

export function catalogTable(ctx: RuleContext, rv: RangeVarLike | undefined): CatalogTable | undefined {
  if (!ctx.catalog || !rv?.relname) return undefined;
  const key = relationKey(rv);
  if (indexed?.catalog === ctx.catalog) {
    indexed.tables ??= tablesByKey(ctx.catalog);
    return indexed.tables.get(key);
  }
  return ctx.catalog.tables.find((t) => `${t.schema}.${t.name}`.toLowerCase() === key);
}

/** Each table under its key, the first one where two share a key (as `find` answers). */
function tablesByKey(catalog: CatalogSnapshot): Map<string, CatalogTable> {
  const tables = new Map<string, CatalogTable>();
  for (const t of catalog.tables) {
    const key = `${t.schema}.${t.name}`.toLowerCase();
    if (!tables.has(key)) tables.set(key, t);
  }
  return tables;
}

/**
 * The catalog whose tables `catalogTable` looks up by key, built on first use: set only while the rules
 * run on a catalog that does not change meanwhile (one lintMigrations call). The static mode lints each
 * of hundreds of files on a catalog of hundreds of tables, and a scan per lookup added up.
 */
let indexed: { catalog: CatalogSnapshot; tables?: Map<string, CatalogTable> } | undefined;

/** Runs `run` with the tables of `catalog` looked up by key (the catalog must not change during it). */
export function withCatalogIndex<T>(catalog: CatalogSnapshot | undefined, run: () => T): T {
  const outer = indexed;
  indexed = catalog ? { catalog } : undefined;
  try {
    return run();
  } finally {
    indexed = outer;
  }
}

/** Evidence line from the catalog: the table's estimated size, which scales the lock's duration. */
export function sizeEvidence(ctx: RuleContext, rv: RangeVarLike | undefined): string | undefined {
  const table = catalogTable(ctx, rv);
  if (!table) return undefined;
  // The replayed history rarely holds data, so a zero estimate says nothing about production.
  const rows = table.estimatedRows > 0 ? ` (~${table.estimatedRows.toLocaleString('en-US')} rows estimated)` : '';
  return `${relationLabel(rv)} exists before this change${rows}`;
}

export { relationLabel };
